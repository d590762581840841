import { NoteError } from './note-errors.js';

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes an audit record is hashed and signed over.
 *
 * Hand-written rather than a dependency: the npm `canonicalize` package's current major (5.x) requires Node ≥ 22
 * (Palisade supports Node 20), and its 2.x line is unmaintained. JCS on top of ECMAScript is short, because RFC 8785
 * defines its number and string formats as ECMAScript's own (§3.2.2.2, §3.2.2.3). It is also stricter than the
 * package: values JSON.stringify drops or changes silently (undefined, functions, Map, Date, class instances, NaN)
 * throw here, because a record must hash the same wherever it is re-serialized.
 *
 * Accepted input: null, booleans, finite numbers, well-formed strings, arrays, and objects whose prototype is
 * Object.prototype or null. Symbol-keyed and non-enumerable properties are not JSON data and are skipped, as
 * JSON.stringify skips them.
 */

export interface CanonicalJsonOptions {
  /** Arrays and objects nested inside each other, the outermost counting 1. */
  maxDepth?: number;
}

/** Deep enough for any audit record; shallow enough that recursion can never exhaust the stack. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

/**
 * True when a string has no unpaired surrogate: ES2024's String.prototype.isWellFormed (Node 20 has it; the ES2023
 * library types Palisade compiles against do not declare it).
 */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * The RFC 8785 canonical form of `value` as a string.
 *
 * @example
 * canonicalJson({ b: [1e21, -0], a: 'é' }); // '{"a":"é","b":[1e+21,0]}'
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  return write(value, options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH, []);
}

/**
 * The canonical bytes of an audit entry, `{ actor, data, subject, time, type }`: the same bytes as
 * `canonicalJsonBytes` of that object, written without sorting or walking its five fixed keys (whose order is
 * known), since every append serializes one. `data` goes through the general writer, one level deeper.
 */
export function canonicalEntryBytes(e: { type: string; actor: string; subject: string; data: unknown; time: string }): Uint8Array {
  // Written in key order, so the first bad value fails as it would in canonicalJsonBytes.
  const actor = quoteString(e.actor);
  const data = write(e.data, DEFAULT_JSON_MAX_DEPTH - 1, []);
  return Buffer.from(`{"actor":${actor},"data":${data},"subject":${quoteString(e.subject)},"time":${quoteString(e.time)},"type":${quoteString(e.type)}}`, 'utf8');
}

/** The RFC 8785 canonical form as UTF-8 bytes (§3.2.4), the input to a hash or signature. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Uint8Array {
  // Lone surrogates are rejected, so UTF-8 encoding is exact and never substitutes U+FFFD.
  return Buffer.from(canonicalJson(value, options), 'utf8');
}

function write(value: unknown, maxDepth: number, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      // RFC 8785 §3.2.2.3: ECMAScript Number::toString, which is what String() applies; it prints -0 as "0".
      if (!Number.isFinite(value)) throw new NoteError('AUDIT_JSON_NON_FINITE_NUMBER', `${value} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      return writeContainer(value, maxDepth, ancestors);
    default:
      throw new NoteError('AUDIT_JSON_UNSUPPORTED_TYPE', `a ${typeof value} is not a JSON value`);
  }
}

function writeContainer(value: object, maxDepth: number, ancestors: object[]): string {
  // Only the current path is a cycle; the same object reached twice through different paths is fine.
  if (ancestors.includes(value)) throw new NoteError('AUDIT_JSON_CYCLE', 'value contains a reference to one of its ancestors');
  if (ancestors.length >= maxDepth) throw new NoteError('AUDIT_JSON_TOO_DEEP', `value nests more than ${maxDepth} arrays and objects`);
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    // RFC 8785 §3.2.3: array elements keep their order. A hole reads as undefined and is rejected like one.
    out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + write(value[i], maxDepth, ancestors);
    out += ']';
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new NoteError('AUDIT_JSON_UNSUPPORTED_TYPE', `${Object.prototype.toString.call(value)} is not a plain object; convert it to one first`);
    }
    const record = value as Record<string, unknown>;
    const keys = sortedKeys(record);
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      out += (i === 0 ? '' : ',') + quote(key) + ':' + write(record[key], maxDepth, ancestors);
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

/**
 * RFC 8785 §3.2.3: property names sorted by their UTF-16 code units, which is what `<` on strings and the default
 * sort compare, independent of locale. An audit record's objects have a dozen keys or so: those are sorted in place
 * by insertion, which allocates nothing (Array.prototype.sort copies the array to sort it); larger ones by sort().
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = k;
  }
  return keys;
}

/** Quotes a value that must be a string (a caller's field typed as one may still hold anything at run time). */
function quoteString(s: unknown): string {
  if (typeof s !== 'string') throw new NoteError('AUDIT_JSON_UNSUPPORTED_TYPE', `an entry's type, actor, subject and time are strings, not ${typeof s}`);
  return quote(s);
}

function quote(s: string): string {
  // RFC 8785 §3.2.2.2: lone surrogates MUST make a JCS implementation fail. For well-formed strings JSON.stringify
  // produces exactly the RFC's escaping: \b \t \n \f \r \" \\, other controls as lowercase \u00xx, nothing else.
  if (!isWellFormed(s)) throw new NoteError('AUDIT_JSON_LONE_SURROGATE', 'string contains an unpaired surrogate');
  return JSON.stringify(s);
}
