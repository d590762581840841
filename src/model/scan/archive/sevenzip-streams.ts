import { SevenZipLimitError, type HeaderReader } from './sevenzip-reader.js';
import {
  K_CODERS_UNPACK_SIZE,
  K_CRC,
  K_END,
  K_FOLDER,
  K_NUM_UNPACK_STREAM,
  K_PACK_INFO,
  K_SIZE,
  K_SUBSTREAMS_INFO,
  K_UNPACK_INFO,
} from './sevenzip-ids.js';

/**
 * 7z StreamsInfo (7zFormat.txt): pack streams, folders (coder graphs) and how each folder's output splits into
 * files. Counts are bounded by the header bytes that would have to exist and by `maxMembers`.
 */

/** 7-Zip's own bound on coders and streams per folder (k_NumCodersStreams_in_Folder_MAX). */
const MAX_FOLDER_STREAMS = 64;

export interface Coder {
  /** Method id as hex, as 7-Zip prints it (`21` LZMA2, `030101` LZMA, `06f10701` AES). */
  id: string;
  props: Uint8Array;
  numIn: number;
  numOut: number;
}

export interface Folder {
  coders: Coder[];
  bindPairs: { inIndex: number; outIndex: number }[];
  /** Folder in-stream index of each packed stream, in pack-stream order. */
  packedStreams: number[];
  /** One size per coder out-stream. */
  unpackSizes: number[];
  /** Size of the folder's final output (the out-stream no bind pair consumes). */
  unpackSize: number;
  crc: number | undefined;
  /** Index of this folder's first pack stream in `packSizes`. */
  firstPackStream: number;
  /** Files (sub-streams) the output is split into, in order. */
  subSizes: number[];
  subCrcs: (number | undefined)[];
}

export interface StreamsInfo {
  /** Offset of the first pack stream after the 32-byte signature header. */
  packPos: number;
  packSizes: number[];
  folders: Folder[];
}

export function parseStreamsInfo(r: HeaderReader, maxMembers: number): StreamsInfo {
  const info: StreamsInfo = { packPos: 0, packSizes: [], folders: [] };
  let id = r.byte();
  if (id === K_PACK_INFO) {
    parsePackInfo(r, info, maxMembers);
    id = r.byte();
  }
  if (id === K_UNPACK_INFO) {
    info.folders = parseUnpackInfo(r, maxMembers);
    id = r.byte();
  }
  let packIndex = 0;
  for (const f of info.folders) {
    f.firstPackStream = packIndex;
    packIndex += f.packedStreams.length;
  }
  if (packIndex > info.packSizes.length) r.fail(`folders use ${packIndex} pack streams, the archive lists ${info.packSizes.length}`);
  for (const f of info.folders) {
    f.subSizes = [f.unpackSize];
    f.subCrcs = [f.crc];
  }
  if (id === K_SUBSTREAMS_INFO) {
    parseSubStreams(r, info.folders, maxMembers);
    id = r.byte();
  }
  if (id !== K_END) r.fail(`unexpected property 0x${id.toString(16)} in streams info`);
  return info;
}

function parsePackInfo(r: HeaderReader, info: StreamsInfo, maxMembers: number): void {
  info.packPos = r.number();
  const n = r.count('pack streams', 1, maxMembers);
  for (;;) {
    const id = r.byte();
    if (id === K_END) break;
    if (id === K_SIZE) info.packSizes = Array.from({ length: n }, () => r.number());
    else if (id === K_CRC) readDigests(r, n);
    else skipProperty(r);
  }
  if (info.packSizes.length !== n) r.fail('pack info has no sizes');
}

function parseUnpackInfo(r: HeaderReader, maxMembers: number): Folder[] {
  if (r.byte() !== K_FOLDER) r.fail('unpack info does not start with a folder list');
  const n = r.count('folders', 2, maxMembers);
  if (r.byte() !== 0) r.fail('folders stored outside the header are not supported');
  const folders = Array.from({ length: n }, () => parseFolder(r));
  if (r.byte() !== K_CODERS_UNPACK_SIZE) r.fail('unpack info has no sizes');
  for (const f of folders) {
    f.unpackSizes = f.unpackSizes.map(() => r.number());
    f.unpackSize = f.unpackSizes[mainOutStream(f)]!;
  }
  for (;;) {
    const id = r.byte();
    if (id === K_END) break;
    if (id === K_CRC) readDigests(r, n).forEach((crc, i) => (folders[i]!.crc = crc));
    else skipProperty(r);
  }
  return folders;
}

function parseFolder(r: HeaderReader): Folder {
  const numCoders = folderCount(r, 'coders');
  if (numCoders === 0) r.fail('folder has no coders');
  const coders: Coder[] = [];
  let totalIn = 0;
  let totalOut = 0;
  for (let i = 0; i < numCoders; i++) {
    const flags = r.byte();
    if (flags & 0x80) r.fail('coder uses the reserved "alternative methods" flag');
    const idBytes = r.bytesOf(flags & 0x0f, 'a coder id');
    const id = Buffer.from(idBytes).toString('hex');
    const numIn = flags & 0x10 ? folderCount(r, 'coder in-streams') : 1;
    const numOut = flags & 0x10 ? folderCount(r, 'coder out-streams') : 1;
    const props = flags & 0x20 ? r.bytesOf(r.number(), 'coder properties') : new Uint8Array(0);
    coders.push({ id, props, numIn, numOut });
    totalIn += numIn;
    totalOut += numOut;
  }
  if (totalIn > MAX_FOLDER_STREAMS || totalOut > MAX_FOLDER_STREAMS || totalOut === 0) r.fail('folder has too many streams');
  const bindPairs = Array.from({ length: totalOut - 1 }, () => {
    const inIndex = r.number();
    const outIndex = r.number();
    if (inIndex >= totalIn || outIndex >= totalOut) r.fail('folder bind pair points outside the folder');
    return { inIndex, outIndex };
  });
  const numPacked = totalIn - bindPairs.length;
  if (numPacked < 1) r.fail('folder has no packed stream');
  let packedStreams: number[];
  if (numPacked === 1) {
    const free = [...Array(totalIn).keys()].find((i) => !bindPairs.some((b) => b.inIndex === i));
    if (free === undefined) r.fail('folder has no unbound in-stream');
    packedStreams = [free];
  } else {
    packedStreams = Array.from({ length: numPacked }, () => r.number());
  }
  const folder: Folder = {
    coders,
    bindPairs,
    packedStreams,
    unpackSizes: new Array<number>(totalOut).fill(0),
    unpackSize: 0,
    crc: undefined,
    firstPackStream: 0,
    subSizes: [],
    subCrcs: [],
  };
  if (mainOutStream(folder) < 0) r.fail('every out-stream of the folder is bound');
  return folder;
}

/** The out-stream that no bind pair consumes: the folder's output. */
function mainOutStream(f: Folder): number {
  for (let i = 0; i < f.unpackSizes.length; i++) if (!f.bindPairs.some((b) => b.outIndex === i)) return i;
  return -1;
}

function parseSubStreams(r: HeaderReader, folders: Folder[], maxMembers: number): void {
  const counts = folders.map(() => 1);
  let id = r.byte();
  let total = folders.length;
  if (id === K_NUM_UNPACK_STREAM) {
    total = 0;
    for (let i = 0; i < folders.length; i++) {
      counts[i] = r.number();
      total += counts[i]!;
      if (total > maxMembers) throw limitOf(total, maxMembers);
    }
    id = r.byte();
  }
  for (let i = 0; i < folders.length; i++) {
    const f = folders[i]!;
    const n = counts[i]!;
    if (n > 1 && id !== K_SIZE) r.fail('sub-stream sizes are missing');
    const sizes: number[] = [];
    let sum = 0;
    for (let j = 1; j < n; j++) {
      const s = r.number();
      sizes.push(s);
      sum += s;
    }
    if (n > 0) {
      if (sum > f.unpackSize) r.fail(`sub-stream sizes add up to more than folder ${i}'s ${f.unpackSize} bytes`);
      sizes.push(f.unpackSize - sum);
    }
    f.subSizes = sizes;
    f.subCrcs = sizes.map(() => undefined);
    if (n === 1 && f.crc !== undefined) f.subCrcs[0] = f.crc;
  }
  if (id === K_SIZE) id = r.byte();
  for (;;) {
    if (id === K_END) return;
    if (id === K_CRC) {
      const unknown = folders.flatMap((f) => f.subCrcs.map((c, j) => ({ f, j, known: c !== undefined && f.subSizes.length === 1 })));
      const missing = unknown.filter((u) => !u.known);
      readDigests(r, missing.length).forEach((crc, k) => (missing[k]!.f.subCrcs[missing[k]!.j] = crc));
    } else {
      skipProperty(r);
    }
    id = r.byte();
  }
}

function readDigests(r: HeaderReader, n: number): (number | undefined)[] {
  const defined = r.defined(n);
  return Array.from({ length: n }, (_, i) => (defined.get(i) ? r.u32() : undefined));
}

export function skipProperty(r: HeaderReader): void {
  r.bytesOf(r.number(), 'a property');
}

export const limitOf = (n: number, max: number): Error =>
  new SevenZipLimitError(`the archive declares ${n} files, above the limit of ${max} members`);

/** A per-folder count; 7-Zip refuses folders above MAX_FOLDER_STREAMS, so more is corruption, not a limit. */
function folderCount(r: HeaderReader, what: string): number {
  const n = r.number();
  if (n > MAX_FOLDER_STREAMS) r.fail(`folder declares ${n} ${what}, above 7-Zip's maximum of ${MAX_FOLDER_STREAMS}`);
  return n;
}

