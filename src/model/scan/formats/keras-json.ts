/** The outcome of parsing a config: the value, or why it is not JSON that Python's json module would accept. */
export type ParsedConfig = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Parses a Keras config the way Python's `json.loads` would.
 *
 * Keras writes configs with `json.dumps`, which emits `NaN`, `Infinity` and `-Infinity` for non-finite floats
 * (allow_nan=True); JSON.parse rejects them, so they are rewritten to `null` (outside strings only) before a
 * second attempt. Duplicate keys keep the last value in both parsers. V8's JSON.parse is iterative, so deep
 * nesting costs memory bounded by the input, not stack.
 */
export function parseConfigJson(bytes: Uint8Array): ParsedConfig {
  let text: string;
  try {
    // A leading BOM is dropped, as json.loads does for bytes (utf-8-sig).
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, error: 'is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (first) {
    const rewritten = replaceNonFinite(text);
    if (rewritten !== text) {
      try {
        return { ok: true, value: JSON.parse(rewritten) };
      } catch {
        // Fall through to the original error, which names the real problem.
      }
    }
    return { ok: false, error: `is not valid JSON (${(first as Error).message.slice(0, 200)})` };
  }
}

const NON_FINITE = ['-Infinity', 'Infinity', 'NaN'];

/** Rewrites Python's non-finite float literals to `null`, leaving string contents alone. */
export function replaceNonFinite(text: string): string {
  const out: string[] = [];
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x2d /* - */ && c !== 0x49 /* I */ && c !== 0x4e /* N */) continue;
    const literal = NON_FINITE.find((lit) => text.startsWith(lit, i));
    if (literal === undefined) continue;
    out.push(text.slice(from, i), 'null');
    i += literal.length - 1;
    from = i + 1;
  }
  if (out.length === 0) return text;
  out.push(text.slice(from));
  return out.join('');
}
