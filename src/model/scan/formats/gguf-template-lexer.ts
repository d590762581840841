/**
 * A Jinja2 tokenizer, just deep enough to tell code from text in a chat template. It follows Jinja's default
 * delimiters (`{{ }}`, `{% %}`, `{# #}`, whitespace control `-`/`+`, `{% raw %}` blocks) and its string literal
 * rules; literal text between tags is output, never code, so it is dropped. Nothing is evaluated.
 */

export interface Token {
  readonly type: 'name' | 'string' | 'number' | 'op';
  /** Names and operators as written; strings decoded the way Jinja decodes them. */
  readonly value: string;
  /** For strings: characters that an escape sequence spelled out although they could have been written plainly. */
  readonly escaped?: string;
}

export interface CodeRegion {
  readonly kind: 'expr' | 'stmt';
  readonly tokens: readonly Token[];
}

const RAW_OPEN = /\s*raw\s*[-+]?%\}/y;
const RAW_CLOSE = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER = /[0-9][0-9_]*(\.[0-9_]+)?([eE][+-]?[0-9_]+)?/y;
const TWO_CHAR_OPS = new Set(['**', '//', '==', '!=', '<=', '>=']);
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Splits a template into its code regions, in order. */
export function lexJinja(source: string): CodeRegion[] {
  const regions: CodeRegion[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    if (open < 0 || open + 1 >= source.length) break;
    const kind = source[open + 1];
    if (kind === '#') {
      const end = source.indexOf('#}', open + 2);
      i = end < 0 ? source.length : end + 2;
      continue;
    }
    if (kind !== '{' && kind !== '%') {
      i = open + 1;
      continue;
    }
    let start = open + 2;
    if (source[start] === '-' || source[start] === '+') start++;
    if (kind === '%') {
      RAW_OPEN.lastIndex = start;
      if (RAW_OPEN.test(source)) {
        RAW_CLOSE.lastIndex = RAW_OPEN.lastIndex;
        const close = RAW_CLOSE.exec(source);
        i = close === null ? source.length : close.index + close[0].length;
        continue;
      }
    }
    const { tokens, end } = lexCode(source, start, kind === '{' ? '}' : '%');
    regions.push({ kind: kind === '{' ? 'expr' : 'stmt', tokens });
    i = end;
  }
  return regions;
}

/** Tokens from `start` to the closing delimiter (`}}` or `%}`, outside brackets, as Jinja's lexer balances them). */
function lexCode(src: string, start: number, closer: string): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  const brackets: string[] = [];
  let p = start;
  while (p < src.length) {
    const c = src[p]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      p++;
      continue;
    }
    if (brackets.length === 0) {
      if ((c === '-' || c === '+') && src[p + 1] === closer && src[p + 2] === '}') return { tokens, end: p + 3 };
      if (c === closer && src[p + 1] === '}') return { tokens, end: p + 2 };
    }
    if (c === "'" || c === '"') {
      const s = lexString(src, p);
      tokens.push(s.token);
      p = s.end;
      continue;
    }
    NAME.lastIndex = p;
    const name = NAME.exec(src);
    if (name !== null) {
      tokens.push({ type: 'name', value: name[0] });
      p += name[0].length;
      continue;
    }
    NUMBER.lastIndex = p;
    const num = NUMBER.exec(src);
    if (num !== null) {
      tokens.push({ type: 'number', value: num[0] });
      p += num[0].length;
      continue;
    }
    const two = src.slice(p, p + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ type: 'op', value: two });
      p += 2;
      continue;
    }
    if (OPENERS[c] !== undefined) brackets.push(OPENERS[c]);
    else if (c === brackets[brackets.length - 1]) brackets.pop();
    tokens.push({ type: 'op', value: c });
    p++;
  }
  return { tokens, end: src.length };
}

/**
 * A quoted string. Jinja decodes literals with Python's `unicode-escape` codec, so `\x5f`, `\u005f`, `\137` and
 * `\N{LOW LINE}` all mean `_`; which characters were spelled that way is recorded, since templates never need to.
 */
function lexString(src: string, start: number): { token: Token; end: number } {
  const quote = src[start];
  let out = '';
  let escaped = '';
  let p = start + 1;
  while (p < src.length && src[p] !== quote) {
    if (src[p] !== '\\') {
      out += src[p];
      p++;
      continue;
    }
    const e = decodeEscape(src, p);
    out += e.text;
    if (e.numeric) escaped += e.text;
    p = e.end;
  }
  const token: Token = escaped === '' ? { type: 'string', value: out } : { type: 'string', value: out, escaped };
  return { token, end: Math.min(p + 1, src.length) };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\n': '',
};

function decodeEscape(src: string, p: number): { text: string; end: number; numeric: boolean } {
  const c = src[p + 1];
  if (c === undefined) return { text: '\\', end: p + 1, numeric: false };
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { text: simple, end: p + 2, numeric: false };
  const hexLen = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (hexLen > 0) {
    const hex = src.slice(p + 2, p + 2 + hexLen);
    if (hex.length === hexLen && /^[0-9a-fA-F]+$/.test(hex)) {
      const cp = parseInt(hex, 16);
      return { text: cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd', end: p + 2 + hexLen, numeric: true };
    }
  }
  const octal = /^[0-7]{1,3}/.exec(src.slice(p + 1, p + 4));
  if (octal !== null) return { text: String.fromCharCode(parseInt(octal[0], 8)), end: p + 1 + octal[0].length, numeric: true };
  if (c === 'N' && src[p + 2] === '{') {
    const close = src.indexOf('}', p + 3);
    if (close > 0) {
      const name = src.slice(p + 3, close).toUpperCase();
      // The one character name an attack needs; others decode to a placeholder that still marks the escape.
      return { text: name === 'LOW LINE' ? '_' : '\ufffd', end: close + 1, numeric: true };
    }
  }
  // Python keeps unknown escapes as written.
  return { text: `\\${c}`, end: p + 2, numeric: false };
}
