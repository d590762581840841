/**
 * Symbolic values on the walker's stack. Only what the analysis needs is kept concretely: strings (global names),
 * small ints and tuples/dicts (joblib array headers, torch's magic number), imported globals and call results.
 * Everything else is `OPAQUE`, so opcode-dense pickles cost no allocation per element.
 */
export type Value = number | bigint | string | boolean | null | Ref;

export type Ref =
  | { k: 'opaque' }
  | { k: 'global'; module: string; name: string }
  /** A string too long to keep: never usable as a name. */
  | { k: 'longstr' }
  | { k: 'bytes'; length: number }
  | { k: 'tuple'; items: Value[] | null }
  | { k: 'dict'; entries: Map<string, Value> | null }
  | { k: 'list' }
  | { k: 'obj'; cls: Value; args: Value; state?: Value };

export const OPAQUE: Ref = Object.freeze({ k: 'opaque' });
export const LONGSTR: Ref = Object.freeze({ k: 'longstr' });
export const LIST: Ref = Object.freeze({ k: 'list' });
/** A dict whose contents are not tracked. */
export const DICT: Ref = Object.freeze({ k: 'dict', entries: null });
/** A tuple too large to keep. */
export const BIG_TUPLE: Ref = Object.freeze({ k: 'tuple', items: null });

/** Containers larger than this are kept as opaque: their contents never name a global. */
export const SMALL_CONTAINER = 16;

export function isRef(v: Value): v is Ref {
  return typeof v === 'object' && v !== null;
}

export function tuple(items: Value[]): Ref {
  return items.length <= SMALL_CONTAINER ? { k: 'tuple', items } : BIG_TUPLE;
}

export function globalOf(v: Value): { module: string; name: string } | undefined {
  if (isRef(v) && v.k === 'global') return v;
  if (isRef(v) && v.k === 'obj') return globalOf(v.cls);
  return undefined;
}
