import type { FindingBudget } from './finding-budget.js';
import { quoteName } from './finding-budget.js';
import { isJsonNumber, isJsonObject, type JsonObject, type JsonValue } from './safetensors-json.js';

/**
 * Element width in bits of every dtype the format defines (safetensors `Dtype::bitsize`, tensor.rs). Sub-byte
 * types (F4, F6_*) exist, so sizes are computed in bits and must end on a byte boundary.
 */
export const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ['BOOL', 8],
  ['F4', 4],
  ['F6_E2M3', 6],
  ['F6_E3M2', 6],
  ['U8', 8],
  ['I8', 8],
  ['F8_E5M2', 8],
  ['F8_E4M3', 8],
  ['F8_E8M0', 8],
  ['F8_E4M3FNUZ', 8],
  ['F8_E5M2FNUZ', 8],
  ['I16', 16],
  ['U16', 16],
  ['F16', 16],
  ['BF16', 16],
  ['I32', 32],
  ['U32', 32],
  ['F32', 32],
  ['C64', 64],
  ['F64', 64],
  ['I64', 64],
  ['U64', 64],
]);

const U64_MAX = (1n << 64n) - 1n;
/** serde deserialises shapes and offsets as `usize`: only plain non-negative integer literals are accepted. */
const UINT_LITERAL = /^(0|[1-9][0-9]*)$/;

/** A tensor's byte range inside the data buffer, kept for the coverage check. */
export interface Span {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
  /** The declared range ran past the buffer and was cut at its end (already reported). */
  readonly clipped?: boolean;
}

/**
 * Checks one header entry `{dtype, shape, data_offsets}` the way `Metadata::validate` does, and returns its byte
 * range when the offsets are usable for the coverage check.
 */
export function checkTensorEntry(name: string, value: JsonValue, dataSize: number, out: FindingBudget): Span | undefined {
  const q = new LazyName(name);
  if (!isJsonObject(value)) {
    out.report('safetensors-bad-tensor-entry', `header entry ${q} is ${describe(value)}, not a tensor description`, { offset: 8 });
    return undefined;
  }
  const dtype = field(value.entries, 'dtype');
  const shape = field(value.entries, 'shape');
  const offsets = field(value.entries, 'data_offsets');
  const problems: string[] = [];
  if (typeof dtype !== 'string') problems.push(`dtype is ${describe(dtype)}`);
  if (!Array.isArray(shape)) problems.push(`shape is ${describe(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isJsonNumber)) {
    problems.push(`data_offsets is ${describe(offsets)}, not two numbers`);
  }
  if (problems.length > 0) {
    out.report('safetensors-bad-tensor-entry', `tensor ${q}: ${problems.join('; ')}`, { offset: 8 });
  }

  const span = Array.isArray(offsets) && offsets.length === 2 ? checkOffsets(q, offsets, dataSize, out) : undefined;
  const bits = typeof dtype === 'string' ? DTYPE_BITS.get(dtype) : undefined;
  if (typeof dtype === 'string' && bits === undefined) {
    out.report('safetensors-unknown-dtype', `tensor ${q} has dtype ${quoteName(dtype, 24)}, which the format does not define; its size could not be checked`, { offset: 8 });
  }
  const bytes = Array.isArray(shape) && bits !== undefined ? tensorBytes(q, shape, bits, out) : undefined;
  if (span !== undefined && !span.clipped && bytes !== undefined && BigInt(span.end - span.begin) !== bytes) {
    out.report(
      'safetensors-size-mismatch',
      `tensor ${q}: shape and dtype need ${bytes} bytes but data_offsets [${span.begin}, ${span.end}] span ${span.end - span.begin}; loaders disagree on what the tensor holds`,
      { offset: 8 },
    );
  }
  return span === undefined ? undefined : { ...span, name };
}

function checkOffsets(q: LazyName, offsets: JsonValue[], dataSize: number, out: FindingBudget): Span | undefined {
  const [b, e] = offsets;
  if (b === undefined || e === undefined || !isJsonNumber(b) || !isJsonNumber(e)) return undefined;
  if (!UINT_LITERAL.test(b.raw) || !UINT_LITERAL.test(e.raw)) {
    out.report('safetensors-offsets-out-of-range', `tensor ${q}: data_offsets [${clip(b.raw)}, ${clip(e.raw)}] are not non-negative integers`, { offset: 8 });
    return undefined;
  }
  const begin = BigInt(b.raw);
  const end = BigInt(e.raw);
  if (begin > end) {
    out.report('safetensors-offsets-out-of-range', `tensor ${q}: data_offsets [${begin}, ${end}] end before they begin; a loader computing the length underflows`, { offset: 8 });
    return undefined;
  }
  if (end > BigInt(dataSize)) {
    out.report(
      'safetensors-offsets-out-of-range',
      `tensor ${q}: data_offsets [${begin}, ${end}] reach past the ${dataSize}-byte data buffer; a loader trusting them reads out of bounds`,
      { offset: 8 },
    );
    // What lies inside the buffer still belongs to this tensor: a truncated file is not also a file with a hole.
    return begin < BigInt(dataSize) ? { name: q.name, begin: Number(begin), end: dataSize, clipped: true } : undefined;
  }
  return { name: q.name, begin: Number(begin), end: Number(end) };
}

/** shape × bits / 8 with the reference reader's checked arithmetic; undefined when it cannot be computed. */
function tensorBytes(q: LazyName, shape: JsonValue[], bits: number, out: FindingBudget): bigint | undefined {
  let elements = 1n;
  let overflow = false;
  for (const dim of shape) {
    if (!isJsonNumber(dim) || !UINT_LITERAL.test(dim.raw)) {
      const shown = isJsonNumber(dim) ? clip(dim.raw) : describe(dim);
      out.report('safetensors-invalid-shape', `tensor ${q} has dimension ${shown}; dimensions must be non-negative integers`, { offset: 8 });
      return undefined;
    }
    // Multiplied in file order, as `try_fold(1, checked_mul)` does: a later zero does not undo an overflow.
    if (!overflow) {
      elements *= BigInt(dim.raw);
      if (elements > U64_MAX) overflow = true;
    }
  }
  const totalBits = elements * BigInt(bits);
  if (overflow || totalBits > U64_MAX) {
    out.report('safetensors-shape-overflow', `tensor ${q}: shape [${shape.map((d) => (isJsonNumber(d) ? clip(d.raw) : '?')).join(', ')}] overflows a 64-bit size`, { offset: 8 });
    return undefined;
  }
  if (totalBits % 8n !== 0n) {
    out.report('safetensors-size-mismatch', `tensor ${q}: ${elements} elements of ${bits} bits do not end on a byte boundary`, { offset: 8 });
    return undefined;
  }
  return totalBits / 8n;
}

/** A member of a tensor entry; duplicates were reported by the parser and, as in most JSON readers, the last wins. */
function field(entries: JsonObject['entries'], key: string): JsonValue | undefined {
  let found: JsonValue | undefined;
  for (const [k, v] of entries) if (k === key) found = v;
  return found;
}

/** A tensor name quoted for messages only when a message is written: most tensors produce none. */
class LazyName {
  constructor(readonly name: string) {}
  toString(): string {
    return quoteName(this.name);
  }
}

function describe(v: JsonValue | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return v.kind === 'number' ? `the number ${clip(v.raw)}` : 'an object';
  return typeof v === 'string' ? `the string ${quoteName(v, 24)}` : `the boolean ${v}`;
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}
