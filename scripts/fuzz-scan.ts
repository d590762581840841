/**
 * The long fuzz campaign for every scanner parser: `npm run fuzz -- --seconds 600 [--seed N]`.
 * Failing inputs are written to bench/out/fuzz/ with the seed and path printed, so a run can be replayed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { inputs, isBug, scanForFuzz, seeds } from '../test/support/fuzz.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '300' }, seed: { type: 'string' } } });
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const outDir = join(import.meta.dirname, '..', 'bench', 'out', 'fuzz');
let runs = 0;
const started = Date.now();
console.log(`fuzzing for ${seconds} s with seed ${seed}`);
const result = await fc.check(
  fc.asyncProperty(inputs(seeds()), async (bytes) => {
    runs++;
    const err = await scanForFuzz(bytes);
    if (err !== undefined && isBug(err)) {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `crash-${seed}-${runs}.bin`);
      writeFileSync(file, bytes);
      console.error(`bug on input ${file}: ${(err as Error).stack}`);
      return false;
    }
    return true;
  }),
  { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, timeout: 10_000 },
);
const rate = (runs / ((Date.now() - started) / 1000)).toFixed(0);
console.log(`${runs} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s (${rate}/s): ${result.failed ? 'FAILED' : 'no crash, no hang'}`);
process.exitCode = result.failed ? 1 : 0;
