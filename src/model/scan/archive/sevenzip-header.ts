import { BitVector, SevenZipError, SevenZipLimitError, type HeaderReader } from './sevenzip-reader.js';

/**
 * The 7z header model and its parser (7zFormat.txt, "Header", "StreamsInfo", "FilesInfo"). Counts are bounded
 * twice: by the header bytes that would have to exist to describe that many things, and by `maxMembers`.
 */

// Property IDs (7zFormat.txt).
export const K_END = 0x00;
export const K_HEADER = 0x01;
const K_ARCHIVE_PROPERTIES = 0x02;
const K_ADDITIONAL_STREAMS_INFO = 0x03;
const K_MAIN_STREAMS_INFO = 0x04;
const K_FILES_INFO = 0x05;
const K_PACK_INFO = 0x06;
const K_UNPACK_INFO = 0x07;
const K_SUBSTREAMS_INFO = 0x08;
const K_SIZE = 0x09;
const K_CRC = 0x0a;
const K_FOLDER = 0x0b;
const K_CODERS_UNPACK_SIZE = 0x0c;
const K_NUM_UNPACK_STREAM = 0x0d;
const K_EMPTY_STREAM = 0x0e;
const K_EMPTY_FILE = 0x0f;
const K_ANTI = 0x10;
const K_NAME = 0x11;
const K_WIN_ATTRIBUTES = 0x15;
export const K_ENCODED_HEADER = 0x17;

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

export interface Entry {
  name: string;
  hasStream: boolean;
  isDir: boolean;
  isAnti: boolean;
  attrib: number | undefined;
  size: number;
  crc: number | undefined;
  /** Folder holding the data and position among its sub-streams; -1 for entries without data. */
  folder: number;
  indexInFolder: number;
}

export interface Header {
  streams: StreamsInfo | undefined;
  entries: Entry[];
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

function skipProperty(r: HeaderReader): void {
  r.bytesOf(r.number(), 'a property');
}

const limitOf = (n: number, max: number): Error =>
  new SevenZipLimitError(`the archive declares ${n} files, above the limit of ${max} members`);

/** A per-folder count; 7-Zip refuses folders above MAX_FOLDER_STREAMS, so more is corruption, not a limit. */
function folderCount(r: HeaderReader, what: string): number {
  const n = r.number();
  if (n > MAX_FOLDER_STREAMS) r.fail(`folder declares ${n} ${what}, above 7-Zip's maximum of ${MAX_FOLDER_STREAMS}`);
  return n;
}

/** The plain header, after its kHeader byte. */
export function parseHeader(r: HeaderReader, maxMembers: number): Header {
  let id = r.byte();
  if (id === K_ARCHIVE_PROPERTIES) {
    for (let t = r.byte(); t !== 0; t = r.byte()) skipProperty(r);
    id = r.byte();
  }
  if (id === K_ADDITIONAL_STREAMS_INFO) {
    parseStreamsInfo(r, maxMembers);
    id = r.byte();
  }
  let streams: StreamsInfo | undefined;
  if (id === K_MAIN_STREAMS_INFO) {
    streams = parseStreamsInfo(r, maxMembers);
    id = r.byte();
  }
  let entries: Entry[] = [];
  const subStreams = (streams?.folders ?? []).reduce((n, f) => n + f.subSizes.length, 0);
  if (id === K_FILES_INFO) {
    entries = parseFilesInfo(r, subStreams, maxMembers);
    id = r.byte();
  } else {
    entries = Array.from({ length: subStreams }, (_, i) => entry(`[stream ${i}]`));
  }
  if (id !== K_END) r.fail(`unexpected property 0x${id.toString(16)} in the header`);
  assignStreams(r, entries, streams);
  return { streams, entries };
}

const entry = (name: string): Entry => ({
  name,
  hasStream: true,
  isDir: false,
  isAnti: false,
  attrib: undefined,
  size: 0,
  crc: undefined,
  folder: -1,
  indexInFolder: 0,
});

function parseFilesInfo(r: HeaderReader, subStreams: number, maxMembers: number): Entry[] {
  // A file either has a sub-stream or a bit in the empty-stream vector: that bounds the count by the header size.
  const at = r.offset;
  const n = r.number();
  if (n > subStreams + r.remaining * 8) throw new SevenZipError(`header declares ${n} files, more than it can describe`, at);
  if (n > maxMembers) throw limitOf(n, maxMembers);
  const entries = Array.from({ length: n }, (_, i) => entry(`[file ${i}]`));
  let emptyStream = BitVector.none(n);
  let emptyFile = BitVector.none(0);
  let anti = BitVector.none(0);
  for (let type = r.byte(); type !== K_END; type = r.byte()) {
    const p = r.sub(r.number(), 'a file property');
    switch (type) {
      case K_EMPTY_STREAM:
        emptyStream = p.bits(n);
        break;
      case K_EMPTY_FILE:
        emptyFile = p.bits(emptyStream.countSet());
        break;
      case K_ANTI:
        anti = p.bits(emptyStream.countSet());
        break;
      case K_NAME:
        readNames(p, entries);
        break;
      case K_WIN_ATTRIBUTES: {
        const defined = p.defined(n);
        if (p.byte() !== 0) p.fail('attributes stored outside the header are not supported');
        for (let i = 0; i < n; i++) if (defined.get(i)) entries[i]!.attrib = p.u32();
        break;
      }
      default:
        // Times, start positions, kDummy padding: not needed to find threats.
        break;
    }
  }
  let empty = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    if (!emptyStream.get(i)) continue;
    e.hasStream = false;
    e.isDir = !emptyFile.get(empty);
    e.isAnti = anti.get(empty);
    empty++;
  }
  for (const e of entries) if (e.attrib !== undefined && e.attrib & 0x10) e.isDir = true;
  return entries;
}

/** kName: an "external" byte (must be 0), then one UTF-16LE string per file, each ending in a 0x0000 unit. */
function readNames(p: HeaderReader, entries: Entry[]): void {
  if (p.byte() !== 0) p.fail('names stored outside the header are not supported');
  const raw = p.bytesOf(p.remaining - (p.remaining % 2), 'file names');
  const decoder = new TextDecoder('utf-16le');
  let start = 0;
  let i = 0;
  for (let k = 0; k + 1 < raw.length && i < entries.length; k += 2) {
    if (raw[k] === 0 && raw[k + 1] === 0) {
      entries[i++]!.name = decoder.decode(raw.subarray(start, k));
      start = k + 2;
    }
  }
  if (i < entries.length) p.fail(`names list holds ${i} of ${entries.length} names`);
}

/** Gives each entry with data the next sub-stream, folder by folder (folders without sub-streams are skipped). */
function assignStreams(r: HeaderReader, entries: Entry[], streams: StreamsInfo | undefined): void {
  const folders = streams?.folders ?? [];
  let fi = 0;
  let si = 0;
  for (const e of entries) {
    if (!e.hasStream) continue;
    while (fi < folders.length && si >= folders[fi]!.subSizes.length) {
      fi++;
      si = 0;
    }
    if (fi >= folders.length) r.fail('more files with data than streams in the archive');
    const f = folders[fi]!;
    e.folder = fi;
    e.indexInFolder = si;
    e.size = f.subSizes[si]!;
    e.crc = f.subCrcs[si];
    si++;
  }
}
