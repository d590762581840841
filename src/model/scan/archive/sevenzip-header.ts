import { BitVector, SevenZipError, type HeaderReader } from './sevenzip-reader.js';
import {
  K_ADDITIONAL_STREAMS_INFO,
  K_ANTI,
  K_ARCHIVE_PROPERTIES,
  K_EMPTY_FILE,
  K_EMPTY_STREAM,
  K_END,
  K_FILES_INFO,
  K_MAIN_STREAMS_INFO,
  K_NAME,
  K_WIN_ATTRIBUTES,
} from './sevenzip-ids.js';
import { limitOf, parseStreamsInfo, skipProperty, type StreamsInfo } from './sevenzip-streams.js';

/**
 * The 7z Header (7zFormat.txt, "Header" and "FilesInfo"): archive properties, streams info, then one entry per file
 * with its name, empty-stream/empty-file/anti bits and attributes, matched to the folder sub-stream holding its data.
 */

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
