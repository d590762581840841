/**
 * Resource ordering as the OMS reference implementation (model_signing) produces it. The spec text says "sorted by
 * name in code-point order", but the reference sorts `PurePosixPath`s, i.e. by their list of components, and shards
 * by (path, start, end) with numeric offsets. The root digest depends on the order, so a signer that wants the same
 * subject digest as the reference must sort like it: `a/b` < `a-b` (components) where code points give `a-b` < `a/b`,
 * and `f:8:16` < `f:16:23` (numbers) where code points give the reverse. Verifiers use the payload's own order.
 */

/** Compares two strings by Unicode code point, as Python compares `str` (JS `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // both strings hold the same astral character here: skip its low surrogate
  }
  return a.length - b.length;
}

/** Compares two relative POSIX paths component by component. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodePoints(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/** A file or a byte range of one: the unit a resource describes. */
export interface Span {
  path: string;
  start?: number;
  end?: number;
}

/** Path components first, then the numeric start and end offsets. */
export function compareSpans(a: Span, b: Span): number {
  return comparePaths(a.path, b.path) || (a.start ?? 0) - (b.start ?? 0) || (a.end ?? 0) - (b.end ?? 0);
}
