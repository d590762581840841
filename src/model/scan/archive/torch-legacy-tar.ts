import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { walkPickleBlob } from '../pickle/scan-pickle.js';
import { globalOf, isRef, type Value } from '../pickle/values.js';

export interface TarMember {
  name: string;
  data: Blob;
}

/** Bytes per element of each legacy storage class (torch/_utils.py `_element_size`). */
const ELEMENT_SIZE: Readonly<Record<string, number>> = {
  DoubleStorage: 8, FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4,
  ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1, ComplexFloatStorage: 8, ComplexDoubleStorage: 16,
  QUInt8Storage: 1, QInt8Storage: 1, QInt32Storage: 4, QUInt4x2Storage: 1, QUInt2x4Storage: 1,
};

/**
 * torch.save's pre-1.6 tar layout (torch/serialization.py `legacy_load`). `storages` and `tensors` interleave
 * pickles with raw bytes, so each pickle is walked alone and the raw bytes between them are sized and skipped:
 *   storages: count, then per storage a pickle (key, location, storage_type), an int64 element count and the
 *             elements; then a pickle of storage views;
 *   tensors:  count, then per tensor a pickle (key, storage_id, type), int32 ndim, 4 pad bytes, ndim int64 sizes,
 *             ndim int64 strides and an int64 offset.
 * Every pickle is checked; a payload in the tenth storage's header is found like one in the first.
 */
export async function scanTorchLegacyTar(byName: Map<string, TarMember>, all: TarMember[], ctx: ScanContext): Promise<void> {
  for (const f of all) {
    const n = f.name.replace(/^\.\//, '');
    if (n === 'storages' || n === 'tensors') continue;
    await ctx.scanMember(f.name, f.data);
  }
  await walkSection(byName.get('storages')!, ctx, 'storages');
  await walkSection(byName.get('tensors')!, ctx, 'tensors');
}

async function walkSection(m: TarMember, parent: ScanContext, kind: 'storages' | 'tensors'): Promise<void> {
  const ctx = parent.child(m.name);
  const blob = m.data;
  const stop = (why: string, offset: number): void => ctx.report('scan-incomplete', `legacy torch ${kind}: ${why}; the rest was not analysed`, { offset });
  let pos = 0;
  const one = async (): Promise<Value | undefined> => {
    const s = await walkPickleBlob(blob, ctx, pos, true);
    if (s.pickles !== 1) return undefined;
    pos = s.end;
    return s.result ?? null;
  };
  const count = await one();
  if (typeof count !== 'number' || count < 0) return stop('the entry count is not a number', 0);
  const max = Math.min(count, ctx.limits.maxMembers);
  for (let i = 0; i < max; i++) {
    const args = await one();
    const items = args !== undefined && isRef(args) && args.k === 'tuple' ? args.items : null;
    if (items === null || items.length !== 3) return stop(`entry ${i} header is not a 3-tuple`, pos);
    if (kind === 'storages') {
      const size = ELEMENT_SIZE[globalOf(items[2]!)?.name ?? ''];
      if (size === undefined) return stop(`entry ${i} has an unknown storage type`, pos);
      const numel = await int64(blob, pos);
      if (numel === undefined || numel < 0) return stop(`entry ${i} element count is unreadable`, pos);
      pos += 8 + numel * size;
    } else {
      const head = await blob.read(pos, 4);
      if (head.length < 4) return stop(`entry ${i} is cut off`, pos);
      const ndim = new DataView(head.buffer, head.byteOffset, 4).getInt32(0, true);
      if (ndim < 0 || ndim > 64) return stop(`entry ${i} has ${ndim} dimensions`, pos);
      pos += 8 + 16 * ndim + 8;
    }
    if (pos > blob.size) return stop(`entry ${i} runs past the end of the member`, blob.size);
  }
  if (kind === 'storages' && (await one()) === undefined) stop('the storage views are missing', pos);
}

async function int64(blob: Blob, at: number): Promise<number | undefined> {
  const b = await blob.read(at, 8);
  if (b.length < 8) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}
