import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { crc32 } from './lzma-crc.js';
import { LzmaError } from './lzma-error.js';
import { folderOutput, folderProblem } from './sevenzip-coders.js';
import { parseHeader, type Entry, type Header } from './sevenzip-header.js';
import { K_ENCODED_HEADER, K_HEADER } from './sevenzip-ids.js';
import { MAX_LINK_TARGET, dictLimit, isSymlink, reportSymlink, scanFolder, type FolderJob } from './sevenzip-members.js';
import { escapingPath } from './member-path.js';
import { HeaderReader, SevenZipError, SevenZipLimitError } from './sevenzip-reader.js';
import { parseStreamsInfo, type StreamsInfo } from './sevenzip-streams.js';

/**
 * The 7z reader (format: DOC/7zFormat.txt in the 7-Zip sources). nullifAI (ReversingLabs, 2025) shipped PyTorch
 * archives inside 7z because scanners did not open it; here every member is decoded and handed back to format
 * detection, so a pickle in a 7z is scanned like any other.
 *
 * Layout: a 32-byte signature header points (with a CRC) at the "next header" at the end of the file; that is a
 * plain Header or an EncodedHeader (a folder of packed data that decodes to the Header). The Header lists pack
 * streams, folders (coder chains whose output is split into files) and file properties.
 */
const SIGNATURE = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];
const SIGNATURE_HEADER_SIZE = 32;
/** 7-Zip decodes an encoded header once; a few levels are allowed, never a loop. */
const MAX_HEADER_NESTING = 4;
/**
 * A folder is reported as a bomb by its declared sizes only when it is also big: tiny files of zeros compress
 * beyond any ratio and are harmless.
 */
const BOMB_MIN_BYTES = 16 * 1024 * 1024;

/** Lists a 7z archive and scans every member. */
export async function scanSevenZip(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  let header: Header | undefined;
  try {
    header = await readHeader(blob, ctx);
  } catch (err) {
    if (err instanceof SevenZipError) {
      ctx.report('archive-malformed', `7z header is corrupt${at(err.offset)}: ${err.message}; the archive was not analysed`, offsetOf(err.offset));
    } else if (err instanceof SevenZipLimitError) {
      ctx.report('scan-incomplete', `${err.message}; the 7z archive was not analysed`);
    } else {
      throw err;
    }
    return '7z';
  }
  if (header !== undefined) {
    checkEntries(header.entries, ctx);
    await scanFolders(blob, header, ctx);
  }
  return '7z';
}

const at = (offset: number | undefined): string => (offset === undefined ? '' : ` at offset ${offset}`);
const offsetOf = (offset: number | undefined): { offset?: number } => (offset === undefined ? {} : { offset });

/** Reads and checks the signature header, then the (possibly encoded) header. Undefined when it was reported. */
async function readHeader(blob: Blob, ctx: ScanContext): Promise<Header | undefined> {
  const sig = await blob.read(0, SIGNATURE_HEADER_SIZE);
  if (sig.length < SIGNATURE_HEADER_SIZE || !SIGNATURE.every((b, i) => sig[i] === b)) {
    throw new SevenZipError(`file is ${blob.size} bytes and does not start with a 7z signature header`, 0);
  }
  if (sig[6] !== 0) throw new SevenZipError(`format version ${sig[6]}.${sig[7]} is not one 7-Zip writes`, 6);
  const view = new DataView(sig.buffer, sig.byteOffset, SIGNATURE_HEADER_SIZE);
  if (crc32(sig.subarray(12, 32)) !== view.getUint32(8, true)) throw new SevenZipError('start header CRC32 mismatch', 8);
  const nextOffset = u64(view, 12);
  const nextSize = u64(view, 20);
  if (nextSize === 0) return { streams: undefined, entries: [] };
  const start = SIGNATURE_HEADER_SIZE + nextOffset;
  if (start + nextSize > blob.size) {
    throw new SevenZipError(`next header (${nextSize} bytes at offset ${start}) lies beyond the end of the ${blob.size}-byte file: truncated`, 12);
  }
  if (nextSize > ctx.limits.maxMetadataBytes) {
    throw new SevenZipLimitError(`the 7z header is ${nextSize} bytes, above the metadata limit of ${ctx.limits.maxMetadataBytes}`);
  }
  const bytes = await blob.read(start, nextSize);
  if (crc32(bytes) !== view.getUint32(28, true)) throw new SevenZipError('next header CRC32 mismatch', start);
  let r = new HeaderReader(bytes, start);
  for (let level = 0; ; level++) {
    const id = r.byte();
    if (id === K_HEADER) return parseHeader(r, ctx.limits.maxMembers);
    if (id !== K_ENCODED_HEADER) r.fail(`header starts with property 0x${id.toString(16)}, not a header`);
    if (level >= MAX_HEADER_NESTING) r.fail('encoded headers nest too deep');
    const decoded = await decodeHeader(blob, parseStreamsInfo(r, ctx.limits.maxMembers), ctx);
    if (decoded === undefined) return undefined;
    r = new HeaderReader(decoded, undefined);
  }
}

function u64(view: DataView, at: number): number {
  const v = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
  if (v > Number.MAX_SAFE_INTEGER) throw new SevenZipError('start header field above 2^53', at);
  return v;
}

/** File offsets of each pack stream. */
function packOffsets(info: StreamsInfo): number[] {
  const offsets: number[] = [];
  let pos = SIGNATURE_HEADER_SIZE + info.packPos;
  for (const size of info.packSizes) {
    offsets.push(pos);
    pos += size;
  }
  return offsets;
}

/** Decodes an EncodedHeader's folder (bounded by maxMetadataBytes); undefined when encryption or a method stops it. */
async function decodeHeader(blob: Blob, info: StreamsInfo, ctx: ScanContext): Promise<Uint8Array | undefined> {
  const folder = info.folders[0];
  if (folder === undefined) throw new SevenZipError('encoded header has no folder', undefined);
  const problem = folderProblem(folder);
  if (problem?.kind === 'encrypted') {
    ctx.report('archive-encrypted', 'the 7z header is encrypted: file names and contents cannot be analysed');
    return undefined;
  }
  if (problem?.kind === 'unsupported') {
    ctx.report('archive-unsupported-method', `the 7z header is packed with ${problem.coders.join(' + ')}; the archive was not analysed`);
    return undefined;
  }
  if (folder.unpackSize > ctx.limits.maxMetadataBytes) {
    throw new SevenZipLimitError(`the encoded 7z header unpacks to ${folder.unpackSize} bytes, above the metadata limit of ${ctx.limits.maxMetadataBytes}`);
  }
  const offset = packOffsets(info)[folder.firstPackStream]!;
  const packSize = info.packSizes[folder.firstPackStream]!;
  if (offset + packSize > blob.size) throw new SevenZipError(`encoded header data (${packSize} bytes at offset ${offset}) runs past the end of the file`, offset);
  // Collected as it decodes, not allocated up front: a tiny file may declare a header of maxMetadataBytes.
  const parts: Uint8Array[] = [];
  let fill = 0;
  try {
    for await (const chunk of folderOutput(blob, offset, packSize, folder, { maxDictBytes: dictLimit(ctx) })) {
      fill += chunk.length;
      if (fill > folder.unpackSize) throw new SevenZipError('encoded header decodes to more than its declared size', offset);
      ctx.spend(chunk.length);
      parts.push(chunk);
    }
  } catch (err) {
    if (err instanceof SevenZipError) throw err;
    if (err instanceof LzmaError && err.reason === 'limit') throw new SevenZipLimitError(`the encoded 7z header cannot be decoded: ${err.message}`);
    throw new SevenZipError(`encoded header does not decode: ${err instanceof Error ? err.message : String(err)}`, offset);
  }
  if (fill !== folder.unpackSize) throw new SevenZipError(`encoded header decodes to ${fill} of its declared ${folder.unpackSize} bytes`, offset);
  const out = Buffer.concat(parts, fill);
  if (folder.crc !== undefined && crc32(out) !== folder.crc) throw new SevenZipError('encoded header CRC32 mismatch', offset);
  return out;
}

/** Findings from names and attributes alone: traversal, anti-items. */
function checkEntries(entries: Entry[], ctx: ScanContext): void {
  for (const e of entries) {
    const reason = escapingPath(e.name);
    if (reason !== undefined) ctx.child(e.name).report('archive-path-traversal', `member name ${JSON.stringify(e.name)} ${reason}`);
    if (e.isAnti) {
      ctx.child(e.name).report('sevenzip-anti-item', `anti-item: extracting over an existing folder deletes ${JSON.stringify(e.name)}`);
    }
  }
}

async function scanFolders(blob: Blob, header: Header, ctx: ScanContext): Promise<void> {
  const info = header.streams;
  const byFolder = new Map<number, Map<number, Entry>>();
  for (const e of header.entries) {
    if (e.folder < 0) continue;
    const m = byFolder.get(e.folder) ?? new Map<number, Entry>();
    m.set(e.indexInFolder, e);
    byFolder.set(e.folder, m);
  }
  if (info === undefined) return;
  const offsets = packOffsets(info);
  for (const [index, members] of byFolder) {
    const folder = info.folders[index]!;
    const names = [...members.values()].map((e) => e.name);
    const list = names.slice(0, 5).map((n) => `'${n}'`).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
    const problem = folderProblem(folder);
    if (problem?.kind === 'encrypted') {
      ctx.report('archive-encrypted', `${names.length} member(s) are encrypted and were not analysed: ${list}`);
      for (const e of members.values()) if (isSymlink(e)) reportSymlink(e, undefined, ctx);
      continue;
    }
    if (problem?.kind === 'unsupported') {
      ctx.report('archive-unsupported-method', `folder ${index} uses ${problem.coders.join(' + ')}; its members were not analysed: ${list}`);
      for (const e of members.values()) if (isSymlink(e)) reportSymlink(e, undefined, ctx);
      continue;
    }
    const first = folder.firstPackStream;
    const job: FolderJob = { index, folder, packOffset: offsets[first]!, packSize: info.packSizes[first]!, members, wanted: new Set() };
    if (folder.unpackSize >= BOMB_MIN_BYTES && folder.unpackSize > job.packSize * ctx.limits.maxCompressionRatio) {
      ctx.report('archive-bomb', `folder ${index} declares ${folder.unpackSize} bytes from ${job.packSize} packed (ratio above ${ctx.limits.maxCompressionRatio}): ${list}`, { offset: job.packOffset });
      continue;
    }
    if (job.packOffset + job.packSize > blob.size) {
      ctx.report('archive-malformed', `folder ${index}'s packed data (${job.packSize} bytes at offset ${job.packOffset}) runs past the end of the file: truncated; not analysed: ${list}`, { offset: job.packOffset });
      continue;
    }
    for (const [i, e] of members) {
      if (isSymlink(e)) {
        if (e.size <= MAX_LINK_TARGET) job.wanted.add(i);
        else reportSymlink(e, undefined, ctx);
      } else if (e.size > ctx.limits.maxInMemoryBytes) {
        ctx.child(e.name).report('archive-member-too-large', `member is ${e.size} bytes, above the in-memory limit of ${ctx.limits.maxInMemoryBytes}; not analysed`);
      } else if (e.size > 0 && !e.isDir) {
        job.wanted.add(i);
      }
    }
    if (job.wanted.size === 0) continue;
    if ((await scanFolder(blob, job, ctx)) === 'budget-spent') return;
  }
}

