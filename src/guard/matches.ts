/**
 * The result of every search that finds nothing (most of them). Not frozen: a frozen array has an elements kind that
 * V8's optimizing compiler does not iterate inline, so each `for … of` over it allocated an iterator and its results
 * (measured: about a third of the streamed output guards' allocation). Callers only read it (the type is readonly).
 */
const NONE: readonly RegExpExecArray[] = [];

/**
 * Every match of a global regex in `text`, as `text.matchAll(re)` yields them, but without its cost per call:
 * `matchAll` copies the regex (through its species constructor) and makes an iterator each time, which for the
 * guards' few dozen patterns, run once per request and once per streamed token, was their largest allocation. The
 * regex's own `lastIndex` is used and left at 0, so patterns shared at module level stay reusable; the matches are
 * collected before the caller sees any, so nothing interleaves with the search. No match: one shared empty array,
 * which callers must not modify.
 */
export function allMatches(text: string, re: RegExp): readonly RegExpExecArray[] {
  if (!re.global) throw new TypeError(`allMatches needs a global regex, not ${String(re)}`);
  re.lastIndex = 0;
  let m = re.exec(text);
  if (m === null) return NONE;
  const out: RegExpExecArray[] = [];
  const unicode = re.unicode || re.flags.includes('v');
  try {
    for (; m !== null; m = re.exec(text)) {
      out.push(m);
      // An empty match would be found again at the same place: step past it (by a whole code point in unicode mode).
      if (m[0].length === 0) re.lastIndex = advance(text, re.lastIndex, unicode);
    }
  } finally {
    re.lastIndex = 0;
  }
  return out;
}

function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const c = text.charCodeAt(index);
  if (c < 0xd800 || c > 0xdbff) return index + 1;
  const d = text.charCodeAt(index + 1);
  return d >= 0xdc00 && d <= 0xdfff ? index + 2 : index + 1;
}
