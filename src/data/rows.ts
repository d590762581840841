import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { parquetRows } from './parquet.js';

export type RowFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';

const BY_EXTENSION: Record<string, RowFormat> = { '.csv': 'csv', '.tsv': 'tsv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet' };

/** The row format a file name implies (by extension: row counting is a convenience, not a security check). */
export const rowFormatOf = (path: string): RowFormat | undefined => BY_EXTENSION[extname(path).toLowerCase()];

/**
 * Counts data rows: CSV/TSV records after the header line (RFC 4180: newlines inside double quotes belong to the
 * field), JSON Lines non-blank lines (blank lines are skipped in both), Parquet `num_rows` from the footer. Streams in 1 MiB chunks; returns a reason
 * string when the file cannot be counted (e.g. a damaged Parquet footer).
 */
export async function countRows(path: string, format: RowFormat, size: number): Promise<number | string> {
  const fh = await open(path, 'r');
  try {
    if (format === 'parquet') {
      return await parquetRows(size, async (offset, length) => {
        const b = Buffer.alloc(length);
        const { bytesRead } = await fh.read(b, 0, length, offset);
        return b.subarray(0, bytesRead);
      });
    }
    const buf = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    let inQuotes = false;
    let lineHasContent = false;
    const quoted = format !== 'jsonl';
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      for (let i = 0; i < bytesRead; i++) {
        const c = buf[i]!;
        if (quoted && c === 0x22) inQuotes = !inQuotes;
        else if (c === 0x0a && !inQuotes) {
          if (lineHasContent) lines++;
          lineHasContent = false;
          continue;
        }
        if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) lineHasContent = true;
      }
    }
    if (lineHasContent) lines++; // a last line without its newline
    return quoted ? Math.max(0, lines - 1) : lines;
  } finally {
    await fh.close();
  }
}
