/**
 * A bounded RFC 4180 tokenizer over raw bytes, for reading large CSV files into typed columns without a string or
 * an array per record: fields come out as byte ranges of the chunk, and numbers are parsed from those bytes.
 * It accepts what csv-parse accepts with the options `data check` used before (`bom`, `relax_column_count`,
 * `skip_empty_lines`, `max_record_size`): `"`-quoted fields with `""` escapes and embedded newlines, records ended
 * by LF, CRLF or CR. A quote inside an unquoted field, text after a closing quote and an unclosed quote are errors,
 * as there. test/data/check/csv-tokenizer.test.ts compares the two on generated files.
 */
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** One record: field `i` is `buf[start[i], end[i])`, with its surrounding quotes when `quoted[i]` is 1. */
export interface CsvRecord {
  buf: Buffer;
  count: number;
  start: Int32Array;
  end: Int32Array;
  quoted: Uint8Array;
}

export interface CsvTokenizerOptions {
  delimiter: string;
  /** Longest record in bytes. */
  maxRecordBytes: number;
  /** Most fields in a record. */
  maxFields: number;
}

/** Raised for malformed input; the reader turns it into DATA_CHECK_UNREADABLE. */
export class CsvSyntaxError extends Error {}

/** The text of field `i` (quotes removed, `""` unescaped). */
export function fieldText(r: CsvRecord, i: number): string {
  if (r.quoted[i] === 0) return r.buf.toString('utf8', r.start[i], r.end[i]);
  const s = r.buf.toString('utf8', r.start[i]! + 1, r.end[i]! - 1);
  return s.includes('"') ? s.replaceAll('""', '"') : s;
}

const POW10 = Float64Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The number a field of plain decimal digits spells (`-12.5`, `+3`, `.5`, `7.`), or NaN when it is anything else
 * (exponents, spaces, more than 15 digits, words): the caller then decides from the text. With at most 15 digits the
 * integer m and 10^f are exact doubles, so m / 10^f is the correctly rounded value, the same double `Number()` gives
 * (Clinger's fast path).
 */
export function decimalAt(buf: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (buf[p] === 0x2d || buf[p] === 0x2b)) neg = buf[p++] === 0x2d;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; p < e; p++) {
    const c = buf[p]!;
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 0x2e && frac < 0) frac = 0;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const x = frac > 0 ? m / POW10[frac]! : m;
  return neg ? -x : x;
}

/**
 * Feed chunks with `push` and finish with `end`; `onRecord` sees each complete record (the same object, reused: copy
 * what you keep). Empty lines are skipped. An incomplete record at the end of a chunk is carried into the next,
 * and a record longer than `maxRecordBytes` is an error, so memory stays bounded by the chunk and one record.
 */
export class CsvTokenizer {
  private carry: Buffer | undefined;
  private first = true;
  private readonly delim: number;
  private readonly rec: CsvRecord;
  /** Records seen (empty lines not counted), for error messages. */
  records = 0;

  constructor(
    private readonly o: CsvTokenizerOptions,
    private readonly onRecord: (r: CsvRecord) => void,
  ) {
    if (o.delimiter.length !== 1 || o.delimiter.charCodeAt(0) > 0x7f) throw new TypeError('the delimiter must be one ASCII character');
    this.delim = o.delimiter.charCodeAt(0);
    const cap = Math.max(1, Math.min(o.maxFields, 1024));
    this.rec = { buf: Buffer.alloc(0), count: 0, start: new Int32Array(cap), end: new Int32Array(cap), quoted: new Uint8Array(cap) };
  }

  push(chunk: Buffer): void {
    const buf = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk]);
    const done = this.scan(buf, false);
    this.carry = done < buf.length ? Buffer.from(buf.subarray(done)) : undefined;
    if (this.carry !== undefined && this.carry.length > this.o.maxRecordBytes) throw new CsvSyntaxError(`record ${this.records + 1} is longer than ${this.o.maxRecordBytes} bytes`);
  }

  end(): void {
    if (this.carry !== undefined) this.scan(this.carry, true);
    this.carry = undefined;
  }

  private field(count: number, s: number, e: number, quoted: number): void {
    const r = this.rec;
    if (count >= this.o.maxFields) throw new CsvSyntaxError(`record ${this.records + 1} has more than ${this.o.maxFields} fields`);
    if (count === r.start.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      r.start = grow(r.start, (n) => new Int32Array(n));
      r.end = grow(r.end, (n) => new Int32Array(n));
      r.quoted = grow(r.quoted, (n) => new Uint8Array(n));
    }
    r.start[count] = s;
    r.end[count] = e;
    r.quoted[count] = quoted;
  }

  /** Tokenizes whole records of `buf`; returns where the first incomplete one starts (buf.length when none). */
  private scan(buf: Buffer, final: boolean): number {
    const n = buf.length;
    const delim = this.delim;
    let p = 0;
    if (this.first) {
      if (n < 3 && !final) return 0;
      this.first = false;
      if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
    }
    const rec = this.rec;
    rec.buf = buf;
    while (p < n) {
      const recStart = p;
      let count = 0;
      for (;;) {
        const fs = p;
        let quoted = 0;
        if (p < n && buf[p] === QUOTE) {
          quoted = 1;
          p++;
          for (;;) {
            const q = buf.indexOf(QUOTE, p);
            if (q < 0) {
              if (!final) return recStart;
              throw new CsvSyntaxError(`record ${this.records + 1}: a quoted field is not closed before the end of the file`);
            }
            if (q + 1 >= n && !final) return recStart;
            if (buf[q + 1] === QUOTE) {
              p = q + 2;
              continue;
            }
            p = q + 1;
            break;
          }
          if (p < n) {
            const c = buf[p]!;
            if (c !== delim && c !== LF && c !== CR) throw new CsvSyntaxError(`record ${this.records + 1}, field ${count + 1}: text after a closing quote`);
          }
        } else {
          while (p < n) {
            const c = buf[p]!;
            if (c === delim || c === LF || c === CR) break;
            if (c === QUOTE) throw new CsvSyntaxError(`record ${this.records + 1}, field ${count + 1}: a quote inside an unquoted field (quote the whole field and double the quote)`);
            p++;
          }
          if (p >= n && !final) return recStart;
        }
        this.field(count++, fs, p, quoted);
        if (p - recStart > this.o.maxRecordBytes) throw new CsvSyntaxError(`record ${this.records + 1} is longer than ${this.o.maxRecordBytes} bytes`);
        if (p >= n) break;
        const c = buf[p]!;
        if (c === delim) {
          p++;
          continue;
        }
        if (c === CR) {
          if (p + 1 < n) p += buf[p + 1] === LF ? 2 : 1;
          else if (final) p++;
          else return recStart;
        } else p++;
        break;
      }
      if (count === 1 && rec.quoted[0] === 0 && rec.start[0] === rec.end[0]) continue;
      rec.count = count;
      this.records++;
      this.onRecord(rec);
    }
    return n;
  }
}
