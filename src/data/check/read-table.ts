import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { DataError } from '../errors.js';
import { rowFormatOf, type RowFormat } from '../rows.js';
import { ColumnBuilder, type Column } from './column.js';
import { CsvTokenizer, decimalAt, fieldText } from './csv-tokenizer.js';

/** A whole file as typed columns, each `rows` long. */
export interface Table {
  path: string;
  format: RowFormat;
  rows: number;
  columns: Column[];
}

export interface ReadOptions {
  /** More data rows than this is an error (memory is about 12 bytes a cell). Default 20 million. */
  maxRows?: number;
  /** More columns than this is an error. Default 2,000. */
  maxColumns?: number;
  /** Longest JSON line or CSV record in bytes. Default 16 MiB. */
  maxRecordBytes?: number;
  /** Called every few thousand rows with the rows read so far. */
  onRows?: (rows: number) => void;
}

const unreadable = (path: string, why: string, cause?: unknown): DataError =>
  new DataError('DATA_CHECK_UNREADABLE', `cannot read ${path}: ${why}; give a CSV, TSV, JSON Lines or Parquet file`, cause === undefined ? undefined : { cause });

/** Collects columns by name; a name first seen late is padded with missing cells. */
class Columns {
  readonly byName = new Map<string, ColumnBuilder>();
  readonly order: ColumnBuilder[] = [];
  constructor(
    private readonly path: string,
    private readonly maxColumns: number,
  ) {}
  get(name: string, rows: number): ColumnBuilder {
    let b = this.byName.get(name);
    if (b === undefined) {
      if (this.order.length >= this.maxColumns) throw new DataError('DATA_CHECK_TOO_LARGE', `${this.path} has more than ${this.maxColumns} columns; select the columns to check first`);
      b = new ColumnBuilder(name);
      b.padTo(rows);
      this.byName.set(name, b);
      this.order.push(b);
    }
    return b;
  }
  finish(rows: number): Column[] {
    return this.order.map((b) => {
      b.padTo(rows);
      return b.build();
    });
  }
}

/** Reads a CSV, TSV, JSON Lines or Parquet file (by extension) into typed columns, within the given bounds. */
export async function readTable(path: string, options: ReadOptions = {}): Promise<Table> {
  const format = rowFormatOf(path);
  if (format === undefined) throw unreadable(path, 'the extension is not .csv, .tsv, .jsonl, .ndjson or .parquet');
  try {
    await stat(path);
  } catch (err) {
    throw unreadable(path, (err as Error).message, err);
  }
  const o = { maxRows: options.maxRows ?? 20_000_000, maxColumns: options.maxColumns ?? 2_000, maxRecordBytes: options.maxRecordBytes ?? 16 << 20, onRows: options.onRows ?? (() => {}) };
  const cols = new Columns(path, o.maxColumns);
  const tooMany = (): DataError => new DataError('DATA_CHECK_TOO_LARGE', `${path} has more than ${o.maxRows} rows; sample it first`);
  let rows: number;
  try {
    if (format === 'parquet') rows = await readParquet(path, cols, o.maxRows, o.onRows, tooMany);
    else if (format === 'jsonl') rows = await readJsonl(path, cols, o, tooMany);
    else rows = await readDelimited(path, format === 'tsv' ? '\t' : ',', cols, o, tooMany);
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw unreadable(path, (err as Error).message, err);
  }
  return { path, format, rows, columns: cols.finish(rows) };
}

async function readDelimited(path: string, delimiter: string, cols: Columns, o: Required<ReadOptions>, tooMany: () => DataError): Promise<number> {
  let header: ColumnBuilder[] | undefined;
  let rows = 0;
  const tokenizer = new CsvTokenizer({ delimiter, maxRecordBytes: o.maxRecordBytes, maxFields: o.maxColumns + 1 }, (rec) => {
    if (header === undefined) {
      const seen = new Map<string, number>();
      header = Array.from({ length: rec.count }, (_, i) => {
        const raw = fieldText(rec, i).trim();
        const base = raw === '' ? `column_${i + 1}` : raw;
        const n = (seen.get(base) ?? 0) + 1;
        seen.set(base, n);
        return cols.get(n === 1 ? base : `${base}_${n}`, 0);
      });
      return;
    }
    if (rec.count > header.length) throw new Error(`row ${rows} has ${rec.count} fields but the header names ${header.length}`);
    if (rows >= o.maxRows) throw tooMany();
    const { buf, start, end, quoted } = rec;
    for (let i = 0; i < header.length; i++) {
      const b = header[i]!;
      if (i >= rec.count || (start[i] === end[i] && quoted[i] === 0)) {
        b.pushMissing();
        continue;
      }
      // Plain decimals straight from the bytes; anything else goes through the text rules (missing words, 1e5, …).
      const x = quoted[i] === 0 ? decimalAt(buf, start[i]!, end[i]!) : NaN;
      if (x === x) b.pushNumber(x);
      else b.pushText(fieldText(rec, i));
    }
    rows++;
    if ((rows & 0x3fff) === 0) o.onRows(rows);
  });
  // After the first chunk, each column reserves the rows the file's size suggests (+5%), so a column is one buffer.
  const size = (await stat(path)).size;
  let read = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    tokenizer.push(chunk as Buffer);
    if (read === 0 && rows > 0 && header !== undefined && size > chunk.length) {
      const estimate = Math.min(o.maxRows, Math.ceil((1.05 * size * rows) / (chunk as Buffer).length) + 1024);
      for (const b of header) b.reserve(estimate);
    }
    read += (chunk as Buffer).length;
  }
  tokenizer.end();
  if (header === undefined) throw new Error('the file is empty (no header line)');
  o.onRows(rows);
  return rows;
}

async function readJsonl(path: string, cols: Columns, o: Required<ReadOptions>, tooMany: () => DataError): Promise<number> {
  let rows = 0;
  let line = 0;
  let carry = '';
  const take = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new Error(`line ${line} is not JSON (${(err as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`line ${line} is not a JSON object`);
    if (rows >= o.maxRows) throw tooMany();
    for (const [k, x] of Object.entries(v)) {
      const b = cols.get(k, rows);
      if (b.length > rows) throw new Error(`line ${line} repeats the key '${k}'`);
      b.pushValue(x);
    }
    rows++;
    for (const b of cols.order) b.padTo(rows);
    if ((rows & 0x3fff) === 0) o.onRows(rows);
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop()!;
    if (carry.length > o.maxRecordBytes) throw new Error(`line ${line + parts.length + 1} is longer than ${o.maxRecordBytes} bytes`);
    for (const p of parts) take(p);
  }
  take(carry);
  o.onRows(rows);
  return rows;
}

async function readParquet(path: string, cols: Columns, maxRows: number, onRows: (n: number) => void, tooMany: () => DataError): Promise<number> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const total = Number(metadata.num_rows);
  if (total > maxRows) throw tooMany();
  const names = (metadata.schema[0]?.num_children ?? 0) > 0 ? topLevelNames(metadata.schema) : [];
  const builders = names.map((n) => cols.get(n, 0));
  let rowStart = 0;
  for (const rg of metadata.row_groups) {
    const rowEnd = rowStart + Number(rg.num_rows);
    await parquetRead({
      file,
      metadata,
      rowStart,
      rowEnd,
      columns: names,
      onComplete: (data: unknown[][]) => {
        for (const row of data) for (let i = 0; i < builders.length; i++) builders[i]!.pushValue(row[i]);
      },
    });
    rowStart = rowEnd;
    onRows(rowStart);
  }
  return rowStart;
}

/** Names of the schema root's direct children (nested groups come back as objects and are compared as JSON). */
function topLevelNames(schema: readonly { name: string; num_children?: number }[]): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (): void => {
    const el = schema[i++];
    for (let c = 0; c < (el?.num_children ?? 0); c++) skip();
  };
  while (i < schema.length) {
    names.push(schema[i]!.name);
    skip();
  }
  return names;
}
