/**
 * A strict JSON reader for safetensors headers (RFC 8259, the subset serde_json accepts).
 *
 * Why not `JSON.parse`: it keeps the last of duplicate keys silently, turns large integers into imprecise doubles
 * and accepts lone surrogates, each a place where the scanner and the Rust loader would read different headers.
 * This reader keeps every member in order (duplicates included, and reported), keeps numbers as their source
 * text, and bounds nesting. It never evaluates anything; objects are entry lists, so no key can reach a prototype.
 */

export interface JsonNumber {
  readonly kind: 'number';
  /** The number as written, e.g. `12`, `-1`, `1.5e3`. */
  readonly raw: string;
}

export interface JsonObject {
  readonly kind: 'object';
  /** Members in file order, duplicates included. */
  readonly entries: readonly (readonly [string, JsonValue])[];
}

export type JsonValue = null | boolean | string | JsonNumber | JsonObject | JsonValue[];

export interface JsonDuplicate {
  /** Dotted path of the object holding the duplicate (`""` for the top level). */
  readonly path: string;
  readonly key: string;
  /** Byte offset of the second occurrence, from the start of the parsed bytes. */
  readonly offset: number;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'JsonSyntaxError';
  }
}

/** serde_json's default recursion limit: deeper input is refused by the reference loader too. */
export const MAX_JSON_DEPTH = 128;


export function isJsonObject(v: JsonValue): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'object';
}

export function isJsonNumber(v: JsonValue): v is JsonNumber {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'number';
}

/** Parses one JSON value filling `bytes` (surrounding JSON whitespace allowed). Throws `JsonSyntaxError`. */
export function parseStrictJson(bytes: Uint8Array): { value: JsonValue; duplicates: JsonDuplicate[] } {
  const p = new Parser(bytes);
  p.ws();
  const value = p.value(0);
  p.ws();
  if (p.pos !== bytes.length) p.fail('unexpected data after the JSON value');
  return { value, duplicates: p.duplicates };
}

/**
 * Parses a JSON document whose top level should be an object, handing each top-level member to `onMember` as
 * soon as it is parsed instead of keeping them all: a 100 MB header holds millions of tensor entries, and the
 * caller needs a few numbers from each. Returns whether the top level was an object. Throws `JsonSyntaxError`
 * (members before the error have already been handed over).
 */
export function parseStrictJsonMembers(
  bytes: Uint8Array,
  onMember: (key: string, value: JsonValue) => void,
): { isObject: boolean; duplicates: JsonDuplicate[] } {
  const p = new Parser(bytes);
  p.ws();
  const isObject = bytes[p.pos] === 0x7b;
  if (isObject) p.object(0, onMember);
  else p.value(0);
  p.ws();
  if (p.pos !== bytes.length) p.fail('unexpected data after the JSON value');
  return { isObject, duplicates: p.duplicates };
}

class Parser {
  pos = 0;
  readonly duplicates: JsonDuplicate[] = [];
  /** Keys from the root to the object being parsed; joined only when a duplicate is reported. */
  private readonly path: string[] = [];
  /** The same bytes as a Buffer, for native slicing into strings (a header can hold 10^5 names). */
  private readonly text: Buffer;

  constructor(private readonly b: Uint8Array) {
    this.text = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Bytes `[from, to)` as a string; ASCII runs take the cheaper latin1 path. */
  private slice(from: number, to: number, ascii: boolean): string {
    return this.text.toString(ascii ? 'latin1' : 'utf8', from, to);
  }

  fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  ws(): void {
    const b = this.b;
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    const c = this.b[this.pos];
    switch (c) {
      case 0x7b:
        return this.object(depth);
      case 0x5b:
        return this.array(depth);
      case 0x22:
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail(c === undefined ? 'unexpected end of input' : `unexpected byte 0x${c.toString(16)}`);
    }
  }

  object(depth: number, onMember?: (key: string, value: JsonValue) => void): JsonObject {
    this.pos++; // {
    const entries: (readonly [string, JsonValue])[] = [];
    // Tensor entries have three members: a linear search beats a Set until objects get large.
    let seen: Set<string> | undefined = onMember === undefined ? undefined : new Set();
    this.ws();
    if (this.b[this.pos] === 0x7d) {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.ws();
      if (this.b[this.pos] !== 0x22) this.fail('expected a string key');
      const keyAt = this.pos;
      const key = this.string();
      if (entries.length === 16) seen = new Set(entries.map((e) => e[0]));
      const duplicate = seen === undefined ? entries.some((e) => e[0] === key) : seen.has(key);
      if (duplicate) this.duplicates.push({ path: this.path.join('.'), key, offset: keyAt });
      else seen?.add(key);
      this.ws();
      if (this.b[this.pos] !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.ws();
      this.path.push(key);
      const value = this.value(depth + 1);
      this.path.pop();
      if (onMember === undefined) entries.push([key, value]);
      else onMember(key, value);
      this.ws();
      const c = this.b[this.pos];
      this.pos++;
      if (c === 0x7d) return { kind: 'object', entries };
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private array(depth: number): JsonValue[] {
    this.pos++; // [
    const items: JsonValue[] = [];
    this.ws();
    if (this.b[this.pos] === 0x5d) {
      this.pos++;
      return items;
    }
    for (;;) {
      this.ws();
      items.push(this.value(depth + 1));
      this.ws();
      const c = this.b[this.pos];
      this.pos++;
      if (c === 0x5d) return items;
      if (c !== 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private literal<T>(word: string, v: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.b[this.pos + i] !== word.charCodeAt(i)) this.fail(`invalid literal, expected '${word}'`);
    }
    this.pos += word.length;
    return v;
  }

  /** RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. */
  private number(): JsonNumber {
    const b = this.b;
    const start = this.pos;
    const digits = (): number => {
      const from = this.pos;
      while (this.pos < b.length && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x39) this.pos++;
      return this.pos - from;
    };
    if (b[this.pos] === 0x2d) this.pos++;
    if (b[this.pos] === 0x30) this.pos++;
    else if (digits() === 0) this.fail('invalid number');
    if (b[this.pos] === 0x2e) {
      this.pos++;
      if (digits() === 0) this.fail('invalid number: no digits after the decimal point');
    }
    if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
      this.pos++;
      if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
      if (digits() === 0) this.fail('invalid number: no digits in the exponent');
    }
    return { kind: 'number', raw: this.slice(start, this.pos, true) };
  }

  /** A string token; the bytes were already checked to be UTF-8 by the caller. */
  private string(): string {
    const b = this.b;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    let ascii = true;
    for (;;) {
      if (this.pos >= b.length) this.fail('unterminated string');
      const c = b[this.pos]!;
      if (c === 0x22) {
        out += this.slice(runStart, this.pos, ascii);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        if (c >= 0x80) ascii = false;
        this.pos++;
        continue;
      }
      out += this.slice(runStart, this.pos, ascii);
      this.pos++;
      out += this.escape();
      runStart = this.pos;
      ascii = true;
    }
  }

  private escape(): string {
    const c = this.b[this.pos];
    this.pos++;
    switch (c) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75:
        return this.unicodeEscape();
      default:
        this.pos--;
        return this.fail('invalid escape');
    }
  }

  /** `\uXXXX`, with surrogate pairs joined; a lone surrogate is refused, as serde_json refuses it. */
  private unicodeEscape(): string {
    const hi = this.hex4();
    if (hi < 0xd800 || hi > 0xdfff) return String.fromCharCode(hi);
    if (hi >= 0xdc00) this.fail('lone trailing surrogate in \\u escape');
    if (this.b[this.pos] !== 0x5c || this.b[this.pos + 1] !== 0x75) this.fail('lone leading surrogate in \\u escape');
    this.pos += 2;
    const lo = this.hex4();
    if (lo < 0xdc00 || lo > 0xdfff) this.fail('invalid surrogate pair in \\u escape');
    return String.fromCharCode(hi, lo);
  }

  private hex4(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.b[this.pos];
      let d: number;
      if (c !== undefined && c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c !== undefined && c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c !== undefined && c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return this.fail('invalid \\u escape');
      v = v * 16 + d;
      this.pos++;
    }
    return v;
  }
}
