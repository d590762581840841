import { crc32 } from 'node:zlib';
import { BufferBlob, SliceBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { scanKerasConfigDeep } from '../formats/keras.js';
import { pickleFormat, walkPickleStream } from '../pickle/scan-pickle.js';
import { looksLikePickle } from '../pickle/sniff.js';
import type { ScanFormat } from '../types.js';
import { BombError, decompress, firstBytes, inflateRawBounded, withBudget } from './inflate.js';
import { escapingPath, isZipSymlink, linkEscape } from './member-path.js';
import { readLocalHeader, readZipDirectory, ZipFormatError, type ZipEntry } from './zip-directory.js';

const STORED = 0;
const DEFLATED = 8;

/** PyTorch's zip layout: `<archive>/data.pkl` plus tensor bytes under `<archive>/data/`, which are never read. */
const TORCH_PICKLE = /(^|\/)data\.pkl$/;
const TORCH_TENSOR = /(^|\/)data\/\d+$/;

/**
 * Scans a zip the way PyTorch's miniz reads it — by the central directory, tolerating a prefix, ignoring CRCs and
 * the encrypted flag on stored members — and reports every place where other readers would disagree.
 */
export async function scanZip(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  let dir;
  try {
    dir = await readZipDirectory(blob, ctx.limits.maxMembers);
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    ctx.report('archive-malformed', `zip: ${err.message}`);
    return 'zip';
  }
  if (dir.prefix > 0) ctx.report('archive-prefix-data', `${dir.prefix} bytes precede the zip archive`, { offset: 0 });
  if (dir.omitted > 0) ctx.report('scan-incomplete', `zip lists ${dir.omitted} more members than the limit of ${ctx.limits.maxMembers}; they were not scanned`);

  const names = dir.entries.map((e) => e.name);
  const torch = names.some((n) => TORCH_PICKLE.test(n));
  const keras = names.includes('config.json') && names.includes('metadata.json');
  const npz = names.length > 0 && names.every((n) => n.endsWith('.npy'));

  checkStructure(dir.entries, blob.size, ctx);
  for (const entry of dir.entries) {
    if (entry.name.endsWith('/') && entry.size === 0) continue;
    if (torch && TORCH_TENSOR.test(entry.name)) continue;
    await scanEntry(blob, entry, ctx, keras);
  }
  if (torch) return 'pytorch-zip';
  if (keras) return 'keras-v3';
  if (npz) return 'numpy-npz';
  return 'zip';
}

function checkStructure(entries: ZipEntry[], fileSize: number, ctx: ScanContext): void {
  const seen = new Set<string>();
  for (const e of entries) {
    const esc = escapingPath(e.name);
    if (esc !== undefined) ctx.report('archive-path-traversal', `zip member '${e.name}' ${esc}`, { member: ctx.memberPath(e.name) });
    if (seen.has(e.name)) ctx.report('zip-duplicate-name', `zip has more than one member named '${e.name}'`, { member: ctx.memberPath(e.name) });
    seen.add(e.name);
    if (e.method !== STORED && e.size > 1 << 20 && e.size > e.compressedSize * ctx.limits.maxCompressionRatio) {
      ctx.report('archive-bomb', `zip member '${e.name}' declares ${e.size} bytes from ${e.compressedSize} compressed`, { member: ctx.memberPath(e.name) });
    }
    if (e.localOffset + e.compressedSize > fileSize) {
      ctx.report('archive-malformed', `zip member '${e.name}' extends past the end of the file`, { member: ctx.memberPath(e.name), offset: e.localOffset });
    }
  }
  // Overlap: sort by local offset; a member whose header starts inside the previous member's data overlaps it.
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    const cur = byOffset[i]!;
    if (cur.localOffset < prev.localOffset + 30 + prev.compressedSize && !(cur.compressedSize === 0 && prev.compressedSize === 0)) {
      ctx.report('zip-overlapping-members', `zip members '${prev.name}' and '${cur.name}' share bytes`, { member: ctx.memberPath(cur.name), offset: cur.localOffset });
      break;
    }
  }
}

async function scanEntry(blob: Blob, entry: ZipEntry, ctx: ScanContext, keras: boolean): Promise<void> {
  const member = ctx.memberPath(entry.name);
  let local;
  try {
    local = await readLocalHeader(blob, entry);
  } catch (err) {
    if (!(err instanceof ZipFormatError)) throw err;
    ctx.report('archive-malformed', err.message, { member, offset: entry.localOffset });
    return;
  }
  if (local.name !== entry.name) {
    ctx.report('zip-name-mismatch', `zip member is '${entry.name}' in the directory but '${local.name}' in its local header`, { member, offset: entry.localOffset });
  }
  const encrypted = (entry.flags & 1) !== 0 || entry.method === 99;
  const data = new SliceBlob(blob, local.dataOffset, entry.compressedSize);
  if (encrypted && entry.method !== STORED) {
    ctx.report('archive-encrypted', `zip member '${entry.name}' is encrypted and was not analysed`, { member });
    return;
  }
  if (encrypted) {
    ctx.report('archive-encrypted', `zip member '${entry.name}' has the encrypted flag on stored data; scanned as plain data, as PyTorch reads it`, { member });
  }
  if (isZipSymlink(entry.madeBy, entry.externalAttrs)) return symlink(entry, entry.method === STORED ? await data.read(0, 4096) : new Uint8Array(0), ctx);
  if (entry.method === STORED) {
    if (keras && entry.name === 'config.json') return scanKerasJson(data, ctx.child(entry.name));
    if (data.size > ctx.limits.maxInMemoryBytes) {
      await ctx.scanMember(entry.name, data);
      return;
    }
    // Small enough to hold: read it once, check its CRC (which torch ignores and zipfile enforces), scan it.
    const bytes = await data.read(0, data.size);
    checkCrc(entry, bytes, ctx);
    await ctx.scanMember(entry.name, new BufferBlob(bytes));
    return;
  }
  if (entry.method !== DEFLATED) {
    ctx.report('archive-unsupported-method', `zip member '${entry.name}' uses compression method ${entry.method}`, { member });
    return;
  }
  await scanDeflated(data, entry, ctx, keras);
}

function checkCrc(entry: ZipEntry, bytes: Uint8Array, ctx: ScanContext): void {
  if (crc32(bytes) !== entry.crc32) {
    ctx.report('zip-crc-mismatch', `zip member '${entry.name}' does not match its CRC-32; scanned anyway, as PyTorch reads it`, { member: ctx.memberPath(entry.name) });
  }
}

/** A link's target is its data; one that points outside the archive's folder is reported as traversal. */
function symlink(entry: ZipEntry, target: Uint8Array, ctx: ScanContext): void {
  const to = new TextDecoder().decode(target);
  const member = ctx.memberPath(entry.name);
  const escape = linkEscape(entry.name, to);
  if (escape !== undefined) ctx.report('archive-path-traversal', `zip member '${entry.name}' is a symbolic link to '${to}', which ${escape}`, { member });
  else ctx.report('archive-symlink', `zip member '${entry.name}' is a symbolic link to '${to}'`, { member });
}

async function scanKerasJson(data: Blob, ctx: ScanContext): Promise<void> {
  if (data.size > ctx.limits.maxMetadataBytes) {
    ctx.report('scan-incomplete', `Keras config.json is ${data.size} bytes, over the metadata limit; not analysed`);
    return;
  }
  await scanKerasConfigDeep(await data.read(0, data.size), ctx);
}

async function scanDeflated(data: Blob, entry: ZipEntry, ctx: ScanContext, keras: boolean): Promise<void> {
  const member = ctx.memberPath(entry.name);
  const limit = ctx.limits.maxInMemoryBytes;
  try {
    if (entry.compressedSize <= limit && entry.size <= limit) {
      const bytes = inflateRawBounded(await data.read(0, data.size), limit);
      if (!ctx.spend(bytes.length)) throw new BombError(ctx.limits.maxTotalInflated);
      checkCrc(entry, bytes, ctx);
      if (keras && entry.name === 'config.json') return scanKerasConfigDeep(bytes, ctx.child(entry.name));
      await ctx.scanMember(entry.name, new BufferBlob(bytes));
      return;
    }
    // Too large for memory: a pickle can still be walked as it streams out of the inflater.
    const head = await firstBytes(decompress('deflate-raw', data, 4096 + 65536), 4096);
    if (!looksLikePickle(head)) {
      ctx.report('archive-member-too-large', `zip member '${entry.name}' (${entry.size} bytes deflated) is over the in-memory limit and not a pickle; not analysed`, { member });
      return;
    }
    const child = ctx.child(entry.name);
    const budgeted = withBudget(decompress('deflate-raw', data, ctx.limits.maxTotalInflated), (n) => ctx.spend(n), ctx.limits.maxTotalInflated);
    pickleFormat(await walkPickleStream(budgeted, child));
  } catch (err) {
    if (err instanceof BombError) {
      ctx.report('archive-bomb', `zip member '${entry.name}' inflates beyond ${err.limit} bytes`, { member });
      return;
    }
    ctx.report('archive-malformed', `zip member '${entry.name}' does not inflate: ${(err as Error).message}`, { member });
  }
}
