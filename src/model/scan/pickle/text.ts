/** Decoders for the text forms of pickle arguments (protocol 0) and for string payloads. */

/** Buffer's native decoder: much cheaper per call than TextDecoder for the many short strings pickles hold. */
export function decodeUtf8(b: Uint8Array): string {
  if (b.length <= 32) {
    // Short ASCII (most keys and names): build the string directly, with no Buffer view per call.
    let s = '';
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (c >= 0x80) return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
      s += String.fromCharCode(c);
    }
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}

export function decodeLatin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

/** INT / LONG / GET / PUT arguments: optional sign, digits, optional trailing `L`. */
export function parseIntLine(line: Uint8Array): number | bigint | undefined {
  let s = decodeLatin1(line).trim();
  if (s.endsWith('L')) s = s.slice(0, -1);
  if (!/^[+-]?\d{1,4300}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

/** LONG1 / LONG4 payload: little-endian two's complement. */
export function readLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };

/** STRING argument: a Python repr, single- or double-quoted, with backslash escapes (`codecs.escape_decode`). */
export function decodeStringRepr(line: Uint8Array): string | undefined {
  const s = decodeLatin1(line).replace(/\r$/, '');
  if (s.length < 2) return undefined;
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) return undefined;
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i]!;
    if (e in SIMPLE_ESCAPES) out += SIMPLE_ESCAPES[e];
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else out += `\\${e}`;
  }
  return out;
}

/** UNICODE argument: raw-unicode-escape (`\uXXXX`, `\UXXXXXXXX`; other bytes are Latin-1). */
export function decodeRawUnicodeEscape(line: Uint8Array): string {
  const s = decodeLatin1(line);
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => {
    const cp = parseInt(u4 ?? u8!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}
