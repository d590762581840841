import { BufferBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { crc32 } from './lzma-crc.js';
import { LzmaError } from './lzma-error.js';
import { DEFAULT_MAX_DICT_BYTES } from './lzma-window.js';
import { coderName, folderOutput } from './sevenzip-coders.js';
import type { Entry } from './sevenzip-header.js';
import { linkEscape } from './member-path.js';
import type { Folder } from './sevenzip-streams.js';

/** Symlink targets are paths; longer "targets" are not read. */
export const MAX_LINK_TARGET = 4096;

/** A Unix symlink: mode in the high 16 bits, flagged by 0x8000 (7-Zip's FILE_ATTRIBUTE_UNIX_EXTENSION). */
const isUnixLink = (attrib: number): boolean => (attrib & 0x8000) !== 0 && ((attrib >>> 16) & 0o170000) === 0o120000;
/** FILE_ATTRIBUTE_REPARSE_POINT: a Windows symlink or junction (7-Zip -snl on Windows). */
const REPARSE_POINT = 0x400;

export function isSymlink(e: Entry): boolean {
  return e.attrib !== undefined && (isUnixLink(e.attrib) || (e.attrib & REPARSE_POINT) !== 0);
}

const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;

/**
 * A link member's target. A Unix link stores the path as its data. A Windows reparse point stores a
 * REPARSE_DATA_BUFFER (MS-FSCC §2.1.2.4 symbolic link, §2.1.2.5 mount point): tag, lengths, then name offsets into a
 * UTF-16LE path buffer; the print name (else the substitute name, without its `\??\` prefix) is the target.
 */
export function linkTarget(e: Entry, bytes: Uint8Array): string {
  if (e.attrib !== undefined && !isUnixLink(e.attrib) && bytes.length >= 16) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const tag = v.getUint32(0, true);
    if (tag === IO_REPARSE_TAG_SYMLINK || tag === IO_REPARSE_TAG_MOUNT_POINT) {
      const start = tag === IO_REPARSE_TAG_SYMLINK ? 20 : 16;
      const name = (off: number, len: number): string =>
        start + off + len <= bytes.length ? Buffer.from(bytes.subarray(start + off, start + off + len)).toString('utf16le') : '';
      const print = name(v.getUint16(12, true), v.getUint16(14, true));
      return (print || name(v.getUint16(8, true), v.getUint16(10, true))).replace(/^\\\?\?\\/, '');
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** Splits a folder's output into its sub-streams, keeping the bytes of the wanted ones. */
class Splitter {
  private idx = -1;
  private left = 0;
  private buf: Uint8Array | undefined;
  private fill = 0;

  constructor(
    private readonly sizes: number[],
    private readonly wanted: (index: number) => boolean,
  ) {
    this.open(0);
  }

  /** Index of the sub-stream being filled (sizes.length once all are complete). */
  get position(): number {
    return this.idx;
  }

  private open(i: number): void {
    this.idx = i;
    this.left = this.sizes[i] ?? 0;
    this.buf = i < this.sizes.length && this.wanted(i) ? new Uint8Array(this.left) : undefined;
    this.fill = 0;
  }

  /** Feeds decoded bytes; returns the wanted sub-streams this chunk completed, and how many bytes were surplus. */
  feed(chunk: Uint8Array): { done: { index: number; bytes: Uint8Array }[]; surplus: number } {
    const done: { index: number; bytes: Uint8Array }[] = [];
    let p = 0;
    for (;;) {
      while (this.idx < this.sizes.length && this.left === 0) {
        if (this.buf !== undefined) done.push({ index: this.idx, bytes: this.buf });
        this.open(this.idx + 1);
      }
      if (p >= chunk.length || this.idx >= this.sizes.length) break;
      const n = Math.min(this.left, chunk.length - p);
      this.buf?.set(chunk.subarray(p, p + n), this.fill);
      this.fill += n;
      this.left -= n;
      p += n;
    }
    return { done, surplus: chunk.length - p };
  }

  /** The wanted sub-stream being filled when the data stopped, with the bytes it got (what an extractor leaves). */
  partial(): { index: number; bytes: Uint8Array } | undefined {
    if (this.buf === undefined || this.fill === 0) return undefined;
    return { index: this.idx, bytes: this.buf.subarray(0, this.fill) };
  }
}

export interface FolderJob {
  index: number;
  folder: Folder;
  packOffset: number;
  packSize: number;
  /** Entries of this folder by sub-stream index. */
  members: Map<number, Entry>;
  /** Sub-stream indices whose bytes are needed (scanned members and symlink targets). */
  wanted: Set<number>;
}

export type FolderResult = 'done' | 'budget-spent';

/**
 * Decodes one folder once, front to back (a solid folder holds many files), and hands each wanted member to
 * format detection as it completes. Stops as soon as the last wanted member is complete.
 */
export async function scanFolder(blob: Blob, job: FolderJob, ctx: ScanContext): Promise<FolderResult> {
  const { folder } = job;
  let last = 0;
  for (const i of job.wanted) last = Math.max(last, i);
  const splitter = new Splitter(folder.subSizes, (i) => job.wanted.has(i));
  const output = folderOutput(blob, job.packOffset, job.packSize, folder, { maxDictBytes: dictLimit(ctx) });
  let produced = 0;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await output.next();
      } catch (err) {
        reportDecodeError(err, job, ctx, produced);
        await scanPartial(splitter, job, ctx);
        return 'done';
      }
      if (next.done) break;
      const chunk = next.value;
      produced += chunk.length;
      if (!ctx.spend(chunk.length)) {
        ctx.report('archive-bomb', `decoding folder ${job.index} spent the decompression budget of ${ctx.limits.maxTotalInflated} bytes; the rest of the archive was not analysed`, { offset: job.packOffset });
        return 'budget-spent';
      }
      const { done, surplus } = splitter.feed(chunk);
      for (const d of done) await handleMember(job.members.get(d.index)!, d.bytes, ctx);
      if (surplus > 0) {
        ctx.report('archive-malformed', `folder ${job.index} decodes to more than its declared ${folder.unpackSize} bytes`, { offset: job.packOffset });
        return 'done';
      }
      if (splitter.position > last) return 'done';
    }
    if (produced < folder.unpackSize) {
      ctx.report('archive-malformed', `folder ${job.index} ends after ${produced} of its declared ${folder.unpackSize} bytes; a member cut short was scanned as far as it goes, later ones were not analysed`, { offset: job.packOffset });
      await scanPartial(splitter, job, ctx);
    }
    return 'done';
  } finally {
    await output.return(undefined);
  }
}

/** The decoders' window cap: 64 MiB (7-Zip's ultra preset), or the in-memory member limit if that is larger. */
export function dictLimit(ctx: ScanContext): number {
  return Math.max(DEFAULT_MAX_DICT_BYTES, ctx.limits.maxInMemoryBytes);
}

function reportDecodeError(err: unknown, job: FolderJob, ctx: ScanContext, produced: number): void {
  const method = job.folder.coders.map((c) => coderName(c.id)).join(' + ');
  const why = err instanceof Error ? err.message : String(err);
  const first = job.members.values().next().value?.name ?? '?';
  const what = `folder ${job.index} (${method}, ${job.members.size} member(s) from '${first}')`;
  if (err instanceof LzmaError && err.reason === 'limit') {
    ctx.report('scan-incomplete', `${what} was not decoded: ${why}`, { offset: job.packOffset });
  } else {
    ctx.report('archive-malformed', `${what} does not decode after ${produced} bytes: ${why}; a member cut short was scanned as far as it goes, later ones were not analysed`, { offset: job.packOffset });
  }
}

/**
 * A member cut short by damaged data is still scanned: extractors leave the partial file behind, and a pickle
 * runs its payload before it reaches the damage (the "broken pickle" half of nullifAI).
 */
async function scanPartial(splitter: Splitter, job: FolderJob, ctx: ScanContext): Promise<void> {
  const part = splitter.partial();
  if (part !== undefined) await handleMember(job.members.get(part.index)!, part.bytes, ctx, true);
}

async function handleMember(e: Entry, bytes: Uint8Array, ctx: ScanContext, partial = false): Promise<void> {
  if (!partial && e.crc !== undefined && crc32(bytes) !== e.crc) {
    ctx.child(e.name).report('archive-malformed', `CRC32 of the decoded member does not match the archive's; it was scanned as decoded`);
  }
  if (isSymlink(e)) {
    reportSymlink(e, linkTarget(e, bytes), ctx);
    return;
  }
  await ctx.scanMember(e.name, new BufferBlob(bytes));
}

export function reportSymlink(e: Entry, target: string | undefined, ctx: ScanContext): void {
  const c = ctx.child(e.name);
  if (target !== undefined && linkEscape(e.name, target) !== undefined) {
    c.report('archive-path-traversal', `symbolic link points to '${target}', outside the extraction folder`);
  } else {
    const to = target === undefined ? 'a target that could not be read' : `'${target}'`;
    c.report('archive-symlink', `symbolic link to ${to}`);
  }
}
