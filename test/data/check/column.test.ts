import { describe, expect, it } from 'vitest';
import { cellText, ColumnBuilder, MISSING, NUMBER } from '../../../src/data/check/column.js';
import { rng } from '../../../src/data/check/poison.js';

describe('ColumnBuilder', () => {
  it('keeps every cell in order across its blocks and reserved buffers, and the typed arrays are exactly the column long', () => {
    // With no estimate, an exact one, one too small (the reserved buffer becomes the first block) and one too large.
    for (const [n, reserve] of [[0, 0], [5, 0], [65_536, 0], [65_537, 0], [200_003, 0], [200_003, 200_003], [200_003, 100_000], [70_000, 90_000]] as const) {
      const b = new ColumnBuilder('x');
      if (n > 0) b.pushNumber(-1);
      b.reserve(reserve);
      const r = rng(n + 1);
      const want: (number | string | null)[] = n > 0 ? [-1] : [];
      for (let i = n > 0 ? 1 : 0; i < n; i++) {
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
