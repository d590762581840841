import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';
import type { InjectionModel } from './model.js';

/**
 * The shipped model's file format: `PLSDINJ1`, a uint32 LE header length, a JSON header
 * `{ bits, threshold, block, scales, bias, scale, meta }`, then `3 × 2^bits` int8 weights (bucket-major), each
 * `round(w / scale)`. int8 keeps the file at 768 KiB for 2^18 buckets; the accuracy cost is measured in bench/RESULTS.md.
 */
const MAGIC = 'PLSDINJ1';

/** Symmetric int8 quantization: one scale for the whole table, `round(w / scale)` with the largest |w| at 127. */
export function quantize(weights: ArrayLike<number>): { weights: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(weights.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.round(weights[i]! / scale);
  return { weights: q, scale };
}

export function encodeModel(model: InjectionModel): Buffer {
  const q = model.weights;
  const header = Buffer.from(JSON.stringify({ bits: model.bits, threshold: model.threshold, block: model.block, scales: model.scales, bias: [...model.bias], scale: model.scale, meta: model.meta }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, header, Buffer.from(q.buffer, q.byteOffset, q.byteLength)]);
}

export function decodeModel(bytes: Uint8Array): InjectionModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): GuardError => new GuardError('GUARD_MODEL_INVALID', `the injection model file is unusable (${why}): reinstall Palisade or run npm run train:injection`);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw bad('wrong magic');
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw bad('truncated header');
  let h: { bits: number; threshold: number; block: number; scales: number[]; bias: number[]; scale: number; meta: Record<string, unknown> };
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch (err) {
    throw new GuardError('GUARD_MODEL_INVALID', 'the injection model header is not JSON: reinstall Palisade or run npm run train:injection', { cause: err });
  }
  if (!Number.isInteger(h.bits) || h.bits < 8 || h.bits > 24 || !Array.isArray(h.bias) || h.bias.length !== 3 || !Number.isInteger(h.block) || h.block < 1 || !Array.isArray(h.scales) || h.scales.length === 0 || !h.scales.every((k) => Number.isInteger(k) && k >= 1)) throw bad('bad header');
  const n = 3 * 2 ** h.bits;
  if (buf.length !== 12 + hlen + n) throw bad(`expected ${n} weights`);
  if (!(h.scale > 0)) throw bad('bad scale');
  // A copy: the model must not alias a buffer the caller may reuse.
  const weights = new Int8Array(buf.buffer.slice(buf.byteOffset + 12 + hlen, buf.byteOffset + 12 + hlen + n));
  return { bits: h.bits, weights, scale: h.scale, bias: Float64Array.from(h.bias), threshold: h.threshold, block: h.block, scales: h.scales, meta: h.meta };
}

/** SHA-256 of the model bytes, hex: what the reproducibility test compares. */
export const modelDigest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
