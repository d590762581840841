/**
 * Looks inside a Lambda layer's marshalled Python code object without running or unmarshalling it.
 *
 * Keras stores a lambda as `base64(marshal.dumps(fn.__code__))` (python_utils.func_dump). The layout of a code
 * object changes with every Python version, but the strings in it (names, attribute names, string constants,
 * the file and function name) are always marshal string objects: a type byte, a length, the characters. This
 * scan picks those out heuristically, which is enough to tell a user that a lambda calls `os.system`; the Lambda
 * itself is reported whatever the scan finds.
 */

/** Marshal string type codes (Python/marshal.c), with FLAG_REF (0x80) masked off. */
const SHORT_ASCII = new Set([0x7a /* z */, 0x5a /* Z, interned */]);
const LONG_STRING = new Set([0x61 /* a */, 0x41 /* A, interned */, 0x75 /* u */, 0x74 /* t, py2 interned */, 0x73 /* s */]);

const MAX_STRINGS = 4096;
const MAX_STRING_BYTES = 4096;

export interface BytecodeSummary {
  /** Decoded size of the marshalled code object. */
  size: number;
  /** Identifiers found in its strings, in first-seen order, without duplicates. */
  names: string[];
}

/** Keras writes standard base64 with line breaks (codecs.encode); Node's decoder skips the line breaks. */
export function decodeBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function summariseBytecode(code: Uint8Array): BytecodeSummary {
  const names: string[] = [];
  const seen = new Set<string>();
  let strings = 0;
  for (let i = 0; i < code.length && strings < MAX_STRINGS; ) {
    const type = code[i]! & 0x7f;
    let start = -1;
    let length = 0;
    if (SHORT_ASCII.has(type) && i + 1 < code.length) {
      length = code[i + 1]!;
      start = i + 2;
    } else if (LONG_STRING.has(type) && i + 4 < code.length) {
      length = (code[i + 1]! | (code[i + 2]! << 8) | (code[i + 3]! << 16) | (code[i + 4]! << 24)) >>> 0;
      start = i + 5;
    }
    if (start < 0 || length === 0 || length > MAX_STRING_BYTES || start + length > code.length || !printable(code, start, length)) {
      i++;
      continue;
    }
    strings++;
    const text = String.fromCharCode(...code.subarray(start, start + length));
    i = start + length;
    // `<lambda>`, `<ipython-input-3-…>` and `…/script.py` are the code object's own name and file, not references.
    if ((text.startsWith('<') && text.endsWith('>')) || /\.py[cw]?$/.test(text)) continue;
    for (const word of text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (!seen.has(word)) {
        seen.add(word);
        names.push(word);
      }
    }
  }
  return { size: code.length, names };
}

function printable(b: Uint8Array, start: number, length: number): boolean {
  for (let i = start; i < start + length; i++) {
    const c = b[i]!;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}
