/**
 * Scanner benchmark: how `palisade scan` scales with file size, opcode density and file count, and how much memory
 * it needs. Not a test: run it with `npm run build && npm run bench:scan` (see bench/README.md). Inputs are
 * generated into bench/out/ (git-ignored) and the large ones are deleted at the end; results go to stdout and to
 * the generated block of bench/RESULTS.md.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childMain } from './lib/child.js';
import { describeMachine } from './lib/machine.js';
import { moduleNote, SECTIONS, writeResults, type Section, type Settings } from './lib/report.js';
import { libPath, type ModuleKind } from './lib/run-case.js';
import { Bench } from './lib/sections.js';
import { verifyGenerators } from './lib/verify-generators.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      src: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'verify-generators': { type: 'boolean', default: false },
    },
  });
  if (values.child !== undefined) {
    await childMain(values.child);
    return;
  }
  if (values['verify-generators']) {
    verifyGenerators(join(OUT, 'verify'));
    return;
  }
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...SECTIONS];
  for (const o of only) if (!SECTIONS.includes(o as Section)) throw new Error(`--only takes ${SECTIONS.join(',')}; got ${o}`);
  const module: ModuleKind = values.src || !existsSync(libPath('dist')) ? 'src' : 'dist';
  const s: Settings = { module, quick: values.quick, profile: values.profile, sections: new Set(only as Section[]) };
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  if (s.profile) rmSync(join(OUT, 'profiles'), { recursive: true, force: true });
  const m = describeMachine();
  const bench = new Bench(s, OUT);
  const header =
    `Measured ${new Date().toISOString().slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ` +
    `Linux ${m.kernel}, Node ${m.node}; commit ${m.commit}. Library: ${moduleNote(ROOT, module)}.` +
    ` Each case runs in fresh processes: times come from one that repeats the scan, peak RSS ` +
    `(\`process.resourceUsage().maxRSS\`) from another that loads the library and scans the input once.` +
    `${s.quick ? ' **Quick mode: smaller inputs, not the reference figures.**' : ''}` +
    `${s.profile ? ' **Run under `--cpu-prof`: times include profiler overhead.**' : ''}`;
  process.stdout.write(`${header}\n`);
  try {
    await bench.calibrate('start');
    await bench.baseline();
    if (s.sections.has('zip')) await bench.zips();
    if (s.sections.has('inline')) await bench.inline();
    if (s.sections.has('dense')) await bench.dense();
    if (s.sections.has('folder')) await bench.folder();
    await bench.calibrate('end');
  } finally {
    if (!values.keep) for (const d of ['zip', 'pickles', 'folder']) rmSync(join(OUT, d), { recursive: true, force: true });
  }
  const conditions =
    `### Conditions\n\nThe machine may be shared; these show what the CPUs gave at the start and end of the run. A ` +
    `speed-up near 2× means two idle cores; near 1× means the second core was busy or not really there.\n\n${bench.conditionsTable()}\n`;
  process.stdout.write(`\n${conditions}`);
  const summary = bench.summary();
  const total = `Whole run: ${((performance.now() - started) / 1000).toFixed(0)} s, inputs generation included.`;
  process.stdout.write(`\n### Targets\n\n${summary}\n\n${total}\n`);
  const hot = s.profile ? `\n### Hot spots (node --cpu-prof, self time)\n\n${bench.profiles.join('\n\n')}\n` : '';
  if (s.profile) process.stdout.write(hot);
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ machine: m, settings: { ...s, sections: [...s.sections] }, cases: bench.raw }, null, 2));
  const complete = s.sections.size === SECTIONS.length && !s.quick;
  if (values['no-write'] || (!complete && !s.profile)) {
    log('partial or quick run: bench/RESULTS.md left as it was (full runs write it)');
    return;
  }
  if (s.profile) writeResults(RESULTS, `${header}\n\nReproduce: \`npm run build && npx tsx bench/scan-throughput.ts --profile --only ${[...s.sections].join(',')}\`\n${hot}`, 'scan-profile');
  else writeResults(RESULTS, `${header}\n\n${conditions}\n${bench.md.join('\n')}\n### Targets\n\n${summary}\n\n${total}\n`, 'scan-throughput');
  log(`wrote ${RESULTS}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
