import { open, type FileHandle } from 'node:fs/promises';

/**
 * Random-access bytes: a file on disk, a slice of one (a stored archive member), or a buffer (a decompressed member).
 * Scanners read only what they need, so a multi-GB checkpoint costs what its headers and pickles cost.
 */
export interface Blob {
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; returns fewer only at the end of the blob. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const CHUNK_SIZE = 1 << 20;

export class BufferBlob implements Blob {
  constructor(private readonly bytes: Uint8Array) {}

  get size(): number {
    return this.bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(Math.max(0, offset), this.bytes.length);
    return this.bytes.subarray(start, Math.min(this.bytes.length, start + Math.max(0, length)));
  }
}

export class FileBlob implements Blob {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileBlob> {
    const handle = await open(path, 'r');
    try {
      const st = await handle.stat();
      return new FileBlob(handle, st.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(Math.max(0, offset), this.size);
    const n = Math.min(this.size - start, Math.max(0, length));
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.handle.read(buf, got, n - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.subarray(0, got);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** A window of another blob (a stored member of an archive), without copying. */
export class SliceBlob implements Blob {
  readonly size: number;

  constructor(
    private readonly parent: Blob,
    private readonly start: number,
    size: number,
  ) {
    this.size = Math.max(0, Math.min(size, parent.size - start));
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    const o = Math.min(Math.max(0, offset), this.size);
    return this.parent.read(this.start + o, Math.min(length, this.size - o));
  }
}

/** Yields the blob's bytes from `offset` in chunks, for streaming parsers. */
export async function* chunksOf(blob: Blob, offset = 0, chunkSize = CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  for (let pos = offset; pos < blob.size; ) {
    const chunk = await blob.read(pos, chunkSize);
    if (chunk.length === 0) return;
    pos += chunk.length;
    yield chunk;
  }
}

/** Reads the whole blob into memory; callers must check `blob.size` against a limit first. */
export function readAll(blob: Blob): Promise<Uint8Array> {
  return blob.read(0, blob.size);
}
