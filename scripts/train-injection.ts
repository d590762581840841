/**
 * Trains the shipped injection/jailbreak models: `npm run train:injection [-- --data FILE --out FILE]`.
 * One file holds two: the document model (texts over 512 normalized characters) and the prompt model (the rest),
 * whose training adds the generated benign rows of src/guard/injection/synthetic.ts (a seeded template generator,
 * committed, so nothing outside the repository and the training split is read).
 * Reads only the training split (never eval.jsonl), and is deterministic: the same data gives the same bytes, which
 * test/guard/injection-train.test.ts checks against models/injection.bin.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { modelDigest } from '../src/guard/injection/model-file.js';
import { parseTrainRows, trainInjectionModels } from '../src/guard/injection/train.js';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'prompt-injection', 'train.jsonl') },
    out: { type: 'string', default: join(root, 'models', 'injection.bin') },
  },
});
if (basename(values.data!).startsWith('eval')) throw new Error('refusing to train on an eval split: pass the training file');

const raw = readFileSync(values.data!);
const rows = parseTrainRows(raw.toString('utf8'));
const digest = createHash('sha256').update(raw).digest('hex');
const started = Date.now();
const result = trainInjectionModels(rows, digest);
writeFileSync(values.out!, result.bytes);
console.log(`trained on ${rows.length} rows (sha256 ${digest.slice(0, 16)}…) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`held-out validation, document model: ${JSON.stringify(result.validation)}`);
console.log(`held-out validation, prompt model (rows ≤ 512 characters): ${JSON.stringify(result.prompt)}`);
console.log(`wrote ${values.out} (${result.bytes.length} bytes, sha256 ${modelDigest(result.bytes)})`);
