import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';
import type { InjectionModel, LinearModel } from './model.js';

/**
 * The shipped model's file format, version 2: `PLSDINJ2`, a uint32 LE header length, a JSON header
 * `{ bits, threshold, block, scales, bias, scale, meta, prompt? }` with `prompt` =
 * `{ maxChars, bits, block, scales, bias, scale, meta }`, then the document model's `3 × 2^bits` int8 weights
 * (bucket-major, each `round(w / scale)`), then the prompt model's `3 × 2^prompt.bits`. Version 1 (`PLSDINJ1`) is the
 * same without `prompt` and is still read. int8 keeps each table at 768 KiB for 2^18 buckets; the accuracy cost is
 * measured in bench/RESULTS.md.
 *
 * The reader is bounded: the header is at most `MAX_HEADER` bytes, every number is checked before it sizes anything,
 * and the file must be exactly as long as the header says.
 */
const MAGIC_V1 = 'PLSDINJ1';
const MAGIC = 'PLSDINJ2';
const MAX_HEADER = 1 << 20;

/** Symmetric int8 quantization: one scale for the whole table, `round(w / scale)` with the largest |w| at 127. */
export function quantize(weights: ArrayLike<number>): { weights: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < weights.length; i++) max = Math.max(max, Math.abs(weights[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const q = new Int8Array(weights.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.round(weights[i]! / scale);
  return { weights: q, scale };
}

const linearHeader = (m: LinearModel): Record<string, unknown> => ({ bits: m.bits, block: m.block, scales: m.scales, bias: [...m.bias], scale: m.scale });
const tableBytes = (q: Int8Array): Buffer => Buffer.from(q.buffer, q.byteOffset, q.byteLength);

export function encodeModel(model: InjectionModel): Buffer {
  const p = model.prompt;
  const head: Record<string, unknown> = { ...linearHeader(model), threshold: model.threshold, meta: model.meta };
  if (p !== undefined) head.prompt = { maxChars: p.maxChars, ...linearHeader(p.model), meta: p.meta };
  const header = Buffer.from(JSON.stringify(head));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([Buffer.from(p === undefined ? MAGIC_V1 : MAGIC, 'latin1'), len, header, tableBytes(model.weights), ...(p === undefined ? [] : [tableBytes(p.model.weights)])]);
}

const bad = (why: string): GuardError => new GuardError('GUARD_MODEL_INVALID', `the injection model file is unusable (${why}): reinstall Palisade or run npm run train:injection`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The shape checks of one linear model's header fields; returns its weight count. */
function checkLinear(h: Record<string, unknown>, what: string): number {
  const { bits, block, scales, bias, scale } = h;
  if (!Number.isInteger(bits) || (bits as number) < 8 || (bits as number) > 24) throw bad(`${what}: bad bits`);
  if (!Number.isInteger(block) || (block as number) < 1 || (block as number) > 1 << 20) throw bad(`${what}: bad block`);
  if (!Array.isArray(scales) || scales.length === 0 || scales.length > 16 || !scales.every((k) => Number.isInteger(k) && k >= 1 && k <= 1 << 16)) throw bad(`${what}: bad scales`);
  if (!Array.isArray(bias) || bias.length !== 3 || !bias.every((b) => typeof b === 'number' && Number.isFinite(b))) throw bad(`${what}: bad bias`);
  if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale)) throw bad(`${what}: bad scale`);
  return 3 * 2 ** (bits as number);
}

function linear(h: Record<string, unknown>, buf: Buffer, at: number, n: number): LinearModel {
  // A copy: the model must not alias a buffer the caller may reuse.
  const weights = new Int8Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + n));
  return { bits: h.bits as number, weights, scale: h.scale as number, bias: Float64Array.from(h.bias as number[]), block: h.block as number, scales: [...(h.scales as number[])] };
}

export function decodeModel(bytes: Uint8Array): InjectionModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12) throw bad('wrong magic');
  const magic = buf.toString('latin1', 0, 8);
  if (magic !== MAGIC && magic !== MAGIC_V1) throw bad('wrong magic');
  const hlen = buf.readUInt32LE(8);
  if (hlen > MAX_HEADER) throw bad('header too long');
  if (12 + hlen > buf.length) throw bad('truncated header');
  let h: unknown;
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + hlen));
  } catch (err) {
    throw new GuardError('GUARD_MODEL_INVALID', 'the injection model header is not JSON: reinstall Palisade or run npm run train:injection', { cause: err });
  }
  if (!isObject(h)) throw bad('bad header');
  const n = checkLinear(h, 'document model');
  if (typeof h.threshold !== 'number' || !(h.threshold >= 0 && h.threshold <= 1)) throw bad('bad threshold');
  const meta = isObject(h.meta) ? h.meta : {};
  let pn = 0;
  const p = h.prompt;
  if (magic === MAGIC) {
    if (!isObject(p)) throw bad('no prompt model');
    pn = checkLinear(p, 'prompt model');
    if (!Number.isInteger(p.maxChars) || (p.maxChars as number) < 0) throw bad('prompt model: bad maxChars');
  } else if (p !== undefined) throw bad('a version 1 file has no prompt model');
  if (buf.length !== 12 + hlen + n + pn) throw bad(`expected ${n + pn} weights`);
  const model: InjectionModel = { ...linear(h, buf, 12 + hlen, n), threshold: h.threshold, meta };
  if (isObject(p)) model.prompt = { maxChars: p.maxChars as number, model: linear(p, buf, 12 + hlen + n, pn), meta: isObject(p.meta) ? p.meta : {} };
  return model;
}

/** SHA-256 of the model bytes, hex: what the reproducibility test compares. */
export const modelDigest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
