import { globalOf, isRef, type Value } from './values.js';

/**
 * joblib writes each numpy array's bytes straight into the pickle stream, right after the BUILD of its
 * `NumpyArrayWrapper` (joblib/numpy_pickle.py, `write_array` / `read_array`): a padding-length byte and padding when
 * `numpy_array_alignment_bytes` is set, then `prod(shape) * itemsize` raw bytes — or, for object arrays, a whole
 * protocol-2 pickle. The walker must skip those bytes, not read them as opcodes.
 */
export type ArrayPlan =
  | { kind: 'bytes'; bytes: number; padded: boolean }
  | { kind: 'pickle' }
  | { kind: 'unknown'; why: string };

const WRAPPERS = new Set(['joblib.numpy_pickle.NumpyArrayWrapper']);

/** The class an object was built from, seeing through `copyreg._reconstructor(cls, base, state)` (protocols 0–1). */
function classOf(v: Value): { module: string; name: string } | undefined {
  if (!isRef(v) || v.k !== 'obj') return undefined;
  const g = globalOf(v.cls);
  if (g?.module === 'copyreg' && g.name === '_reconstructor' && isRef(v.args) && v.args.k === 'tuple') {
    return globalOf(v.args.items?.[0] ?? null);
  }
  return g;
}

export function isArrayWrapper(v: Value): boolean {
  const c = classOf(v);
  return c !== undefined && WRAPPERS.has(`${c.module}.${c.name}`);
}

export function arrayBytesAfterBuild(wrapper: Value): ArrayPlan {
  if (!isRef(wrapper) || wrapper.k !== 'obj') return { kind: 'unknown', why: 'not an object' };
  const state = wrapper.state;
  if (!isRef(state ?? null) || state === undefined || !isRef(state) || state.k !== 'dict' || state.entries === null) {
    return { kind: 'unknown', why: 'wrapper state is not a small dict' };
  }
  const e = state.entries;
  const dtype = dtypeInfo(e.get('dtype') ?? null);
  if (dtype === undefined) return { kind: 'unknown', why: 'dtype not understood' };
  if (dtype.hasObject) return { kind: 'pickle' };
  const shape = e.get('shape');
  if (!isRef(shape ?? null) || shape === undefined || !isRef(shape) || shape.k !== 'tuple' || shape.items === null) {
    return { kind: 'unknown', why: 'shape is not a small tuple' };
  }
  let count = 1;
  for (const d of shape.items) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) return { kind: 'unknown', why: 'shape has a non-integer dimension' };
    count *= d;
  }
  const bytes = count * dtype.itemsize;
  if (!Number.isSafeInteger(bytes)) return { kind: 'unknown', why: 'array size overflows' };
  const align = e.get('numpy_array_alignment_bytes');
  return { kind: 'bytes', bytes, padded: typeof align === 'number' && align > 0 };
}

/**
 * numpy pickles a dtype as `numpy.dtype(str, False, True)` then BUILD with a state tuple
 * `(version, byteorder, subarray, names, fields, elsize, alignment, flags)`; `elsize` is set for flexible types
 * ('U', 'S', 'V') and flags bit 0 (NPY_ITEM_REFCOUNT) marks object content.
 */
function dtypeInfo(v: Value): { itemsize: number; hasObject: boolean } | undefined {
  if (!isRef(v) || v.k !== 'obj') return undefined;
  const g = globalOf(v.cls);
  if (g === undefined || g.name !== 'dtype' || !g.module.startsWith('numpy')) return undefined;
  const args = isRef(v.args) && v.args.k === 'tuple' ? v.args.items : null;
  const code = args?.[0];
  if (typeof code !== 'string') return undefined;
  const st = v.state !== undefined && isRef(v.state) && v.state.k === 'tuple' ? v.state.items : null;
  const elsize = st?.[5];
  const flags = st?.[7];
  const hasObject = code.startsWith('O') || (typeof flags === 'number' && (flags & 1) === 1);
  if (hasObject) return { itemsize: 8, hasObject };
  if (typeof elsize === 'number' && elsize > 0) return { itemsize: elsize, hasObject };
  const m = /^[<>|=]?([a-zA-Z])(\d*)/.exec(code);
  if (m === null) return undefined;
  const [, kind, digits] = m;
  if (digits !== '') return { itemsize: Number(digits) * (kind === 'U' ? 4 : 1), hasObject };
  if (kind === 'M' || kind === 'm') return { itemsize: 8, hasObject };
  if (kind === '?' || kind === 'b' || kind === 'B') return { itemsize: 1, hasObject };
  return undefined;
}
