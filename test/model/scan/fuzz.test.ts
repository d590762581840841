import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputs, isBug, scanForFuzz, seeds } from '../../support/fuzz.js';

/**
 * Every parser gets random and mutated bytes: it may report findings or throw a clean Error for unreadable input,
 * but never a TypeError/RangeError (a bug), never hang (each case has a deadline). Fixed seed: reproducible.
 * The long campaign is `npm run fuzz`.
 */
describe('scanner fuzz', () => {
  const seedList = seeds();

  it('has seeds from every format folder', () => {
    expect(seedList.length).toBeGreaterThan(5);
  });

  it('never crashes or hangs on hostile bytes', async () => {
    await fc.assert(
      fc.asyncProperty(inputs(seedList), async (bytes) => {
        const err = await scanForFuzz(bytes);
        if (err !== undefined && isBug(err)) throw err;
      }),
      { seed: 20261123, numRuns: 1500, interruptAfterTimeLimit: 40_000, timeout: 5000, markInterruptAsFailure: false },
    );
  }, 60_000);
});
