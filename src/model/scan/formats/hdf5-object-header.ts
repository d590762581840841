import type { Cursor } from './hdf5-cursor.js';
import { UNDEFINED_ADDRESS } from './hdf5-cursor.js';
import { Hdf5Error, toIssue, type Hdf5Issue } from './hdf5-error.js';
import type { Hdf5File } from './hdf5-file.js';

/** Header message types read here (spec §IV.A.2). */
export const MSG_CONTINUATION = 0x0010;
export const MSG_ATTRIBUTE = 0x000c;
export const MSG_ATTRIBUTE_INFO = 0x0015;

/** Message flag bit 1: the message body is a reference to a shared message stored elsewhere. */
export const MSG_FLAG_SHARED = 0x02;

export interface Hdf5Message {
  type: number;
  flags: number;
  data: Uint8Array;
  /** Absolute file offset of the message body. */
  offset: number;
}

export interface ObjectHeader {
  version: number;
  messages: Hdf5Message[];
  /** Continuation chunks that could not be followed; the messages found before them are still returned. */
  issues: Hdf5Issue[];
}

interface Chunk {
  address: number;
  length: number;
}

/**
 * Reads an object header and every continuation chunk it links (spec §IV.A.1.a version 1, §IV.A.1.b version 2).
 * Chunks are followed breadth-first with a visited set, so a continuation cycle ends, and their number is bounded.
 */
export async function readObjectHeader(file: Hdf5File, address: number): Promise<ObjectHeader> {
  const head = await file.cursorUpTo(address, 64, 'object header');
  const isV2 = head.bytes[0] === 0x4f && head.bytes[1] === 0x48 && head.bytes[2] === 0x44 && head.bytes[3] === 0x52; // "OHDR"
  const header: ObjectHeader = { version: isV2 ? 2 : 1, messages: [], issues: [] };
  const pending: Chunk[] = [];
  const seen = new Set<number>();
  let first: Chunk;
  let trackOrder = false;
  if (isV2) {
    const parsed = parseV2Prefix(head);
    first = { address: address + parsed.prefix, length: parsed.chunkSize };
    trackOrder = parsed.trackOrder;
  } else {
    first = parseV1Prefix(head, address);
  }
  seen.add(address);
  seen.add(first.address);
  let chunks = 0;
  for (let chunk: Chunk | undefined = first, isFirst = true; chunk !== undefined; chunk = pending.shift(), isFirst = false) {
    if (++chunks > file.limits.maxHeaderChunks) {
      header.issues.push({ kind: 'limit', message: `object header has more than ${file.limits.maxHeaderChunks} chunks`, offset: file.absolute(address) });
      break;
    }
    try {
      const c = await readChunk(file, chunk, isV2, isFirst);
      parseMessages(c, isV2, trackOrder, header, file, pending, seen);
    } catch (err) {
      header.issues.push(toIssue(err));
    }
  }
  return header;
}

function parseV1Prefix(c: Cursor, address: number): Chunk {
  const version = c.u8('object header version');
  if (version !== 1) throw new Hdf5Error('malformed', `object header version ${version} is neither 1 nor 'OHDR'`, c.base);
  c.skip(1 + 2 + 4, 'object header prefix'); // reserved, number of messages (a hint only), reference count
  const size = c.u32('object header size');
  // Version 1 headers are 12 bytes, padded to 16 so that messages start 8-byte aligned.
  return { address: address + 16, length: size };
}

function parseV2Prefix(c: Cursor): { prefix: number; chunkSize: number; trackOrder: boolean } {
  c.skip(4, 'OHDR signature');
  const version = c.u8('object header version');
  if (version !== 2) throw new Hdf5Error('unsupported', `object header version ${version} is not supported`, c.base + 4);
  const flags = c.u8('object header flags');
  if (flags & 0x20) c.skip(16, 'object header times'); // access, modification, change, birth
  if (flags & 0x10) c.skip(4, 'attribute phase change values');
  const chunkSize = c.uint(1 << (flags & 0x03), 'size of chunk #0');
  return { prefix: c.pos, chunkSize, trackOrder: (flags & 0x04) !== 0 };
}

/** Header chunks hold small messages (attributes over 64 KiB move to dense storage); a bigger claim is hostile. */
const MAX_CHUNK = 64 * 1024 * 1024;

async function readChunk(file: Hdf5File, chunk: Chunk, isV2: boolean, isFirst: boolean): Promise<Cursor> {
  if (chunk.length > MAX_CHUNK) {
    throw new Hdf5Error('limit', `object header chunk of ${chunk.length} bytes exceeds ${MAX_CHUNK}`, file.absolute(chunk.address));
  }
  if (!isV2) return file.cursor(chunk.address, chunk.length, 'object header chunk');
  if (isFirst) {
    // The checksum follows the messages of chunk #0.
    return file.cursor(chunk.address, chunk.length, 'object header chunk #0');
  }
  // A version 2 continuation block is "OCHK", messages, checksum; its length counts all three.
  if (chunk.length < 8) throw new Hdf5Error('malformed', 'continuation chunk is shorter than its signature and checksum', file.absolute(chunk.address));
  const c = await file.cursor(chunk.address, chunk.length - 4, 'continuation chunk');
  c.signature('OCHK', 'continuation chunk');
  return c;
}

function parseMessages(
  c: Cursor,
  isV2: boolean,
  trackOrder: boolean,
  header: ObjectHeader,
  file: Hdf5File,
  pending: Chunk[],
  seen: Set<number>,
): void {
  const headerSize = isV2 ? 4 + (trackOrder ? 2 : 0) : 8;
  // A version 2 chunk may end in a gap smaller than a message header; version 1 messages are 8-byte aligned.
  while (c.remaining >= headerSize) {
    if (header.messages.length >= file.limits.maxMessages) {
      throw new Hdf5Error('limit', `object header has more than ${file.limits.maxMessages} messages`, c.base + c.pos);
    }
    const type = isV2 ? c.u8('message type') : c.u16('message type');
    const size = c.u16('message size');
    const flags = c.u8('message flags');
    if (isV2) {
      if (trackOrder) c.skip(2, 'message creation order');
    } else {
      c.skip(3, 'message reserved bytes');
    }
    const offset = c.base + c.pos;
    const data = c.take(size, `message 0x${type.toString(16)}`);
    if (type === MSG_CONTINUATION) {
      const next = parseContinuation(data, offset, file);
      if (next !== undefined && !seen.has(next.address)) {
        seen.add(next.address);
        pending.push(next);
      }
      continue;
    }
    header.messages.push({ type, flags, data, offset });
  }
}

function parseContinuation(data: Uint8Array, offset: number, file: Hdf5File): Chunk | undefined {
  const { sizeOfOffsets, sizeOfLengths } = file.sb;
  const need = sizeOfOffsets + sizeOfLengths;
  if (data.length < need) throw new Hdf5Error('malformed', 'continuation message is truncated', offset);
  let allOnes = true;
  for (let i = 0; i < sizeOfOffsets; i++) if (data[i] !== 0xff) allOnes = false;
  if (allOnes) return undefined;
  const address = readLe(data, 0, sizeOfOffsets, offset);
  const length = readLe(data, sizeOfOffsets, sizeOfLengths, offset);
  return address === UNDEFINED_ADDRESS ? undefined : { address, length };
}

function readLe(b: Uint8Array, at: number, n: number, offset: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  if (!Number.isSafeInteger(v)) throw new Hdf5Error('unsupported', 'continuation address does not fit in 53 bits', offset);
  return v;
}
