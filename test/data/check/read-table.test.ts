import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { cellText } from '../../../src/data/check/column.js';
import { readTable } from '../../../src/data/check/index.js';
import { DataError } from '../../../src/data/index.js';
import { tempDir } from '../../support/tmp.js';

const file = (name: string, body: string | Uint8Array): string => {
  const p = join(tempDir(), name);
  writeFileSync(p, body);
  return p;
};

describe('readTable', () => {
  it('CSV: quoted fields with commas and newlines, numbers recognised, missing markers, short records padded', async () => {
    const t = await readTable(file('a.csv', 'id,name,score\n1,"Smith, J",3.5\n2,"two\nlines",NA\n3,x\n'));
    expect(t.rows).toBe(3);
    const [id, name, score] = t.columns;
    expect(id!.numbers).toBe(3);
    expect(cellText(name!, 0)).toBe('Smith, J');
    expect(cellText(name!, 1)).toBe('two\nlines');
    expect(score!.missing).toBe(2);
    expect(score!.num[0]).toBe(3.5);
  });

  it('JSON Lines: types as given (a number sent as a string stays a string), keys seen late are padded', async () => {
    const t = await readTable(file('a.jsonl', '{"a":1,"b":"x"}\n\n{"a":"2","c":true}\n'));
    expect(t.rows).toBe(2);
    const by = new Map(t.columns.map((c) => [c.name, c]));
    expect(by.get('a')!.numbers).toBe(1);
    expect(by.get('a')!.strings).toBe(1);
    expect(by.get('b')!.missing).toBe(1);
    expect(cellText(by.get('c')!, 1)).toBe('true');
    expect(by.get('c')!.missing).toBe(1);
  });

  it('Parquet: values by row group, nulls missing', async () => {
    const buf = parquetWriteBuffer({ columnData: [{ name: 'x', data: Float64Array.from([1.5, 2.5, 3.5]) }, { name: 's', data: ['a', null, 'c'] }], rowGroupSize: 2 });
    const t = await readTable(file('a.parquet', new Uint8Array(buf)));
    expect(t.rows).toBe(3);
    expect(Array.from(t.columns[0]!.num)).toEqual([1.5, 2.5, 3.5]);
    expect(t.columns[1]!.missing).toBe(1);
    expect(cellText(t.columns[1]!, 2)).toBe('c');
  });

  it('bad input: a clear DataError naming the file and the problem', async () => {
    await expect(readTable(file('a.txt', 'x'))).rejects.toMatchObject({ code: 'DATA_CHECK_UNREADABLE', message: /extension/ });
    await expect(readTable(join(tempDir(), 'missing.csv'))).rejects.toMatchObject({ code: 'DATA_CHECK_UNREADABLE' });
    await expect(readTable(file('b.jsonl', '{"a":1}\n[1]\n'))).rejects.toMatchObject({ code: 'DATA_CHECK_UNREADABLE', message: /line 2 is not a JSON object/ });
    await expect(readTable(file('b.csv', ''))).rejects.toMatchObject({ code: 'DATA_CHECK_UNREADABLE', message: /empty/ });
    await expect(readTable(file('b.parquet', 'PAR1 not really PAR1'))).rejects.toMatchObject({ code: 'DATA_CHECK_UNREADABLE' });
    await expect(readTable(file('c.csv', 'a,b\n1,2\n3,4\n'), { maxRows: 1 })).rejects.toMatchObject({ code: 'DATA_CHECK_TOO_LARGE' });
    await expect(readTable(file('d.csv', 'a,b,c\n'), { maxColumns: 2 })).rejects.toMatchObject({ code: 'DATA_CHECK_TOO_LARGE' });
  });

  it('fuzz: any bytes give a table or a DataError, never another failure', async () => {
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('csv', 'jsonl', 'parquet'), fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 200 }), async (ext, bytes, text) => {
        const p = join(dir, `f.${ext}`);
        writeFileSync(p, ext === 'parquet' ? Buffer.concat([bytes, Buffer.from('PAR1')]) : Buffer.concat([Buffer.from(text), bytes]));
        try {
          const t = await readTable(p);
          for (const c of t.columns) expect(c.length).toBe(t.rows);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
        }
      }),
      { numRuns: 150 },
    );
  });
});
