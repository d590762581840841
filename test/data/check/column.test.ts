import { describe, expect, it } from 'vitest';
import { cellText, ColumnBuilder, MISSING, NUMBER } from '../../../src/data/check/column.js';
import { rng } from '../../../src/data/check/poison.js';

describe('ColumnBuilder', () => {
  it('keeps every cell in order across its blocks, and the typed arrays are exactly the column long', () => {
    for (const n of [0, 5, 65_536, 65_537, 200_003]) {
      const b = new ColumnBuilder('x');
      const r = rng(n + 1);
      const want: (number | string | null)[] = [];
      for (let i = 0; i < n; i++) {
        const u = r();
        if (u < 0.1) {
          b.pushMissing();
          want.push(null);
        } else if (u < 0.2) {
          b.pushString(`s${i % 7}`);
          want.push(`s${i % 7}`);
        } else {
          b.pushNumber(i + 0.5);
          want.push(i + 0.5);
        }
      }
      const c = b.build();
      expect(c.length).toBe(n);
      expect(c.num.length).toBe(n);
      expect(c.code.length).toBe(n);
      expect(c.missing + c.numbers + c.strings).toBe(n);
      for (let i = 0; i < n; i++) {
        const w = want[i]!;
        if (w === null) expect(c.code[i]).toBe(MISSING);
        else if (typeof w === 'number') expect([c.code[i], c.num[i]]).toEqual([NUMBER, w]);
        else expect(cellText(c, i)).toBe(w);
      }
    }
  });
});
