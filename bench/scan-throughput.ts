/**
 * Scanner benchmark: how `palisade scan` scales with file size, opcode density and file count, and how much memory
 * it needs. Not a test: run it with `npm run build && npm run bench:scan` (see bench/README.md). Inputs are
 * generated into bench/out/ (git-ignored) and the large ones are deleted at the end; results go to stdout and to
 * the generated block of bench/RESULTS.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { childMain, type ChildResult, type Task } from './lib/child.js';
import { hotSpots } from './lib/cpu-profile.js';
import { denseCases, inlineCases, makeFolder, writeCase, zipCheckpoint, type Folder, type Input } from './lib/inputs.js';
import { describeMachine } from './lib/machine.js';
import { checkZips, namelistCount, pythonAvailable } from './lib/python-check.js';
import { hasCompiledWorker, libPath, runCase, type ModuleKind } from './lib/run-case.js';
import { fmtBytes, fmtMs, fmtRate, fmtRss, GiB, MB, MiB, spread, table } from './lib/stats.js';
import { verifyGenerators } from './lib/verify-generators.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out');
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const SECTIONS = ['zip', 'inline', 'dense', 'folder'] as const;
type Section = (typeof SECTIONS)[number];

/** Figures the scanner is expected to meet (the benchmark reports them; it never tunes inputs to pass). */
const TARGET = { zipScanMs: 1000, inlineMBps: 300, maxRssMiB: 200 };

interface Settings {
  module: ModuleKind;
  quick: boolean;
  profile: boolean;
  sections: Set<Section>;
}

interface Peak {
  id: string;
  rssKb: number;
}

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

function cmd(s: Settings, section: Section): string {
  const flags = [`--only ${section}`, s.quick ? '--quick' : '', s.module === 'src' ? '--src' : ''].filter((f) => f !== '');
  return `${s.module === 'dist' ? 'npm run build && ' : ''}npx tsx bench/scan-throughput.ts ${flags.join(' ')}`;
}

function result(r: ChildResult): string {
  const formats = Object.keys(r.formats).join('+');
  const verdicts = Object.entries(r.verdicts)
    .map(([v, n]) => (r.files > 1 ? `${n} ${v}` : v))
    .join(', ');
  const rules = Object.entries(r.rules).map(([k, n]) => `${k}×${n}`);
  return `${formats} · ${verdicts}${rules.length > 0 ? ` · ${rules.join(', ')}` : ' · no findings'}`;
}

function timing(ms: readonly number[]): string {
  const s = spread(ms);
  return ms.length === 1 ? fmtMs(s.median) : `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
}

class Bench {
  readonly md: string[] = [];
  readonly peaks: Peak[] = [];
  readonly profiles: string[] = [];
  readonly misses: string[] = [];
  zipWorstMs = 0;
  inlineWorstMBps = Infinity;
  raw: Record<string, unknown> = {};

  constructor(readonly s: Settings) {}

  async run(id: string, task: Task): Promise<ChildResult> {
    const profiled = this.s.profile && (task.kind === 'scan-file' || task.kind === 'scan-paths');
    const flags = profiled ? ['--cpu-prof', `--cpu-prof-dir=${join(OUT, 'profiles', id)}`] : [];
    const r = await runCase(task, { kind: this.s.module, outDir: OUT, nodeFlags: flags });
    this.peaks.push({ id, rssKb: r.maxRssKb });
    this.raw[id] = r;
    if (profiled) {
      const spots = hotSpots(join(OUT, 'profiles', id), 8);
      this.profiles.push(
        `**${id}** (${fmtMs(spread(r.ms).median)} median under the profiler)\n\n` +
          table(
            ['self time', 'share', 'function'],
            spots.map((h) => [fmtMs(h.selfMs), `${(h.share * 100).toFixed(1)}%`, `\`${h.where}\``]),
          ),
      );
    }
    return r;
  }

  emit(title: string, intro: string, body: string): void {
    const block = `### ${title}\n\n${intro}\n\n${body}\n`;
    this.md.push(block);
    process.stdout.write(`\n${block}`);
  }

  async baseline(): Promise<void> {
    const r = await this.run('baseline', { kind: 'baseline', lib: libPath(this.s.module) });
    this.baselineKb = r.maxRssKb;
  }

  baselineKb = 0;
  readonly conditions: string[] = [];

  /**
   * Records the load average and times a pure integer loop in one thread and in two at once: the ceiling for
   * workers=2 on this machine, and a check on whether other jobs were competing for the CPUs during the run.
   */
  async calibrate(when: string): Promise<void> {
    const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
    const r = await this.run(`calibrate-${when}`, { kind: 'calibrate', lib: libPath(this.s.module), iterations: this.s.quick ? 5e7 : 2e8 });
    const [one, two] = r.ms as [number, number];
    this.conditions.push(
      `| ${when} | ${load} | ${fmtMs(one)} | ${fmtMs(two)} | ${((2 * one) / two).toFixed(2)}× |`,
    );
  }

  conditionsTable(): string {
    return (
      '| when | load average (1 / 5 / 15 min) | integer loop, 1 thread | same loop, 2 threads at once | speed-up |\n' +
      '|---|---|---|---|---|\n' +
      this.conditions.join('\n')
    );
  }

  async zips(): Promise<void> {
    const dir = join(OUT, 'zip');
    const inputs: Input[] = [];
    const rows: string[][] = [];
    for (const gib of [1, 4, 16]) {
      const t0 = performance.now();
      const input = zipCheckpoint(dir, gib * GiB);
      log(`wrote ${input.path} (${fmtBytes(input.bytes)}, ${fmtBytes(input.diskBytes)} on disk) in ${fmtMs(performance.now() - t0)}`);
      inputs.push(input);
      const r = await this.run(input.id, { kind: 'scan-file', lib: libPath(this.s.module), path: input.path, runs: 5 });
      const worst = spread(r.ms).max;
      this.zipWorstMs = Math.max(this.zipWorstMs, worst);
      rows.push([
        input.label,
        `${fmtBytes(input.bytes)} (${fmtBytes(input.diskBytes)} on disk)`,
        `${input.tensors} / ${input.members}`,
        `${fmtBytes(input.pickleBytes ?? 0)}, ${input.opcodes} opcodes`,
        timing(r.ms),
        fmtRss(r.maxRssKb),
        result(r),
      ]);
    }
    let check = 'Python is not installed here: the zips were not cross-checked with an independent reader.';
    if (pythonAvailable()) {
      const one = inputs.find((i) => i.id === 'zip-4g')!;
      const count = namelistCount(one.path);
      const checks = checkZips(inputs.map((i) => i.path));
      const bad = checks.filter((c, k) => c.members !== inputs[k]!.members || c.pickleOpcodes !== inputs[k]!.opcodes);
      if (bad.length > 0) throw new Error(`python zipfile disagrees with the generator: ${JSON.stringify(bad)}`);
      check =
        `Cross-checked with Python's zipfile: \`python3 -c "import zipfile; print(len(zipfile.ZipFile(p).namelist()))"\` ` +
        `prints ${count} for the 4 GiB file; for all three, the member count, tensor bytes and data.pkl opcode count ` +
        `(pickletools.genops) match the generator, and the largest local-header offset is ` +
        checks.map((c) => `${(c.maxOffset / GiB).toFixed(2)} GiB`).join(' / ') +
        ' (past 4 GiB, so zip64 extra fields and end records are in use).';
    }
    this.emit(
      'Zip checkpoints: scan time against size',
      `A 24-layer decoder state_dict (388 float32 tensors) saved as PyTorch's zip format, tensor data as holes ` +
        `(sparse files). Each figure is one process scanning the file 5 times: median (min–max), the first run ` +
        `includes module load and JIT warm-up. Target: well under ${TARGET.zipScanMs} ms at any size.\n\n` +
        `Reproduce: \`${cmd(this.s, 'zip')}\`\n\n${check}`,
      table(['file', 'size', 'tensors / members', 'data.pkl', 'scan time', 'peak RSS', 'result'], rows),
    );
  }

  async inline(): Promise<void> {
    const bytes = this.s.quick ? 128 * MiB : GiB;
    const rows: string[][] = [];
    for (const c of inlineCases(bytes)) {
      const t0 = performance.now();
      const input = writeCase(join(OUT, 'pickles'), c);
      log(`wrote ${input.path} (${fmtBytes(input.bytes)}) in ${fmtMs(performance.now() - t0)}`);
      const r = await this.run(input.id, { kind: 'scan-file', lib: libPath(this.s.module), path: input.path, runs: 3 });
      const med = spread(r.ms).median;
      const rate = input.bytes / MB / (med / 1000);
      this.inlineWorstMBps = Math.min(this.inlineWorstMBps, rate);
      rows.push([c.label, fmtBytes(input.bytes), String(input.opcodes), timing(r.ms), `${rate.toFixed(0)} MB/s`, fmtRss(r.maxRssKb), result(r)]);
      rmSync(input.path, { force: true });
    }
    this.emit(
      'Pickles with inline tensor data, one core',
      `Checkpoint pickles whose tensor bytes sit inside the pickle as payloads, written with real (pseudo-random) ` +
        `bytes and scanned from the page cache with \`scanFile\` in one thread. MB/s is file size (10^6 bytes) over ` +
        `the median of 3 runs in one process. Target: ≥ ${TARGET.inlineMBps} MB/s.\n\nReproduce: \`${cmd(this.s, 'inline')}\``,
      table(['pickle', 'size', 'opcodes', 'scan time', 'throughput', 'peak RSS', 'result'], rows),
    );
  }

  async dense(): Promise<void> {
    const cases = this.s.quick ? denseCases(5e6, 5e6, undefined) : denseCases(50e6, 50e6, 100e6);
    const rows: string[][] = [];
    for (const [k, c] of cases.entries()) {
      const t0 = performance.now();
      const input = writeCase(join(OUT, 'pickles'), c);
      log(`wrote ${input.path} (${fmtBytes(input.bytes)}, ${input.opcodes} opcodes) in ${fmtMs(performance.now() - t0)}`);
      const runs = k >= 2 ? 1 : 3;
      const r = await this.run(input.id, { kind: 'scan-file', lib: libPath(this.s.module), path: input.path, runs });
      const med = spread(r.ms).median;
      rows.push([
        c.label,
        fmtBytes(input.bytes),
        `${(input.opcodes / 1e6).toFixed(1)} M / ${(input.objects! / 1e6).toFixed(2)} M`,
        timing(r.ms),
        `${(input.bytes / MB / (med / 1000)).toFixed(1)} MB/s`,
        fmtRate(input.opcodes / (med / 1000), 'op/s'),
        fmtRss(r.maxRssKb),
        result(r),
      ]);
      rmSync(input.path, { force: true });
    }
    this.emit(
      'Opcode-dense pickles, one core',
      `Millions of small memoized objects and no payload to skip: the walker's worst case per byte. Median of 3 ` +
        `runs in one process (the largest file: one run). No target; reported as measured.\n\nReproduce: \`${cmd(this.s, 'dense')}\``,
      table(['pickle', 'size', 'opcodes / objects', 'scan time', 'throughput', 'opcodes/s', 'peak RSS', 'result'], rows),
    );
  }

  async folder(): Promise<void> {
    const threads = (workers: number): string =>
      workers > 1 && this.s.module === 'dist' && hasCompiledWorker() ? 'worker threads' : 'in-thread';
    const t0 = performance.now();
    const f: Folder = this.s.quick ? makeFolder(join(OUT, 'folder'), 2, 100, 10, 20 * MB) : makeFolder(join(OUT, 'folder'), 4, 500, 50, 20 * MB);
    log(`wrote the folder (${f.parts.length * f.perPart} small files, ${fmtBytes(f.smallBytes)}; ${f.largeCount} large, ${fmtBytes(f.largeBytes)}) in ${fmtMs(performance.now() - t0)}`);
    const sets: { name: string; targets: string[] }[] = [];
    for (let n = 1; n <= f.parts.length; n *= 2) sets.push({ name: `${n * f.perPart} small files`, targets: f.parts.slice(0, n) });
    sets.push({ name: `${f.largeCount} × ~20 MB checkpoints`, targets: [f.large] });
    sets.push({ name: `all ${f.parts.length * f.perPart + f.largeCount} files`, targets: [...f.parts, f.large] });
    const rows: string[][] = [];
    for (const set of sets) {
      for (const workers of [1, 2]) {
        const id = `folder-${set.name.split(' ')[0]}-${set.name.includes('small') ? 'small' : set.name.includes('all') ? 'all' : 'large'}-w${workers}`;
        const r = await this.run(id, { kind: 'scan-paths', lib: libPath(this.s.module), targets: set.targets, workers, runs: 3 });
        const med = spread(r.ms).median / 1000;
        rows.push([
          set.name,
          fmtBytes(r.bytes),
          `${workers} (${threads(workers)})`,
          timing(r.ms),
          `${(r.files / med).toFixed(0)} files/s`,
          `${(r.files > 0 ? (med * 1000) / r.files : 0).toFixed(2)} ms`,
          `${(r.bytes / MB / med).toFixed(0)} MB/s`,
          fmtRss(r.maxRssKb),
          result(r),
        ]);
      }
    }
    const note = hasCompiledWorker() && this.s.module === 'dist' ? '' : ' Worker threads need the compiled dist/, so workers=2 ran in one thread here.';
    this.emit(
      'Folders of many files',
      `\`scanPaths\` over a model store: small files (tiny torch zips, protocol-4 NumPy pickles and records pickles in ` +
        `rotation, ${fmtBytes(f.smallBytes / (f.parts.length * f.perPart))} on average) in parts of ${f.perPart}, and ` +
        `${f.largeCount} checkpoints of ~20 MB (torch zips and protocol-5 NumPy pickles, real bytes). Median ` +
        `(min–max) of 3 scans in one process; each scan lists the folders and, with workers=2, starts its own pool.${note}` +
        ` See "Conditions" for how much a second thread can give on this machine.\n\nReproduce: \`${cmd(this.s, 'folder')}\``,
      table(['set', 'bytes', 'workers', 'scan time', 'files/s', 'per file', 'MB/s', 'peak RSS', 'result'], rows),
    );
  }

  summary(): string {
    const worstRss = this.peaks.filter((p) => !p.id.startsWith('calibrate')).reduce((a, p) => (p.rssKb > a.rssKb ? p : a), { id: '-', rssKb: 0 });
    const over = this.peaks.filter((p) => p.rssKb / 1024 >= TARGET.maxRssMiB && p.id !== 'baseline' && !p.id.startsWith('calibrate'));
    const rows: string[][] = [];
    if (this.s.sections.has('zip')) {
      rows.push([`zip scan time < ${TARGET.zipScanMs} ms at 1, 4 and 16 GiB`, `slowest run ${fmtMs(this.zipWorstMs)}`, this.zipWorstMs < TARGET.zipScanMs ? 'met' : '**missed**']);
    }
    if (this.s.sections.has('inline')) {
      rows.push([`inline-payload pickles ≥ ${TARGET.inlineMBps} MB/s`, `slowest ${this.inlineWorstMBps.toFixed(0)} MB/s`, this.inlineWorstMBps >= TARGET.inlineMBps ? 'met' : '**missed**']);
    }
    rows.push([
      `peak RSS < ${TARGET.maxRssMiB} MiB per case`,
      `highest ${fmtRss(worstRss.rssKb)} (${worstRss.id}); baseline (library loaded, nothing scanned) ${fmtRss(this.baselineKb)}`,
      over.length === 0 ? 'met' : `**missed** by ${over.map((p) => `${p.id} (${fmtRss(p.rssKb)})`).join(', ')}`,
    ]);
    return table(['target', 'measured', ''], rows);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function moduleNote(module: ModuleKind): string {
  if (module === 'src') return 'the TypeScript sources (`src/index.ts` through tsx; scanPaths cannot start worker threads from them)';
  const built = statSync(libPath('dist')).mtimeMs;
  const stale = newestMtime(join(ROOT, 'src')) > built;
  const when = new Date(built).toISOString().replace(/\.\d+Z$/, 'Z');
  return `the compiled library (\`dist/index.js\`, built ${when})${stale ? ' — **older than the newest file in src/: run `npm run build` and measure again**' : ''}`;
}

function writeResults(block: string, name: string): void {
  const begin = `<!-- BEGIN ${name}: generated by bench/scan-throughput.ts; edits inside are overwritten -->`;
  const end = `<!-- END ${name} -->`;
  const fresh = `${begin}\n${block}\n${end}`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Scanner benchmark results\n\n';
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  text = a >= 0 && b > a ? text.slice(0, a) + fresh + text.slice(b + end.length) : `${text.trimEnd()}\n\n${fresh}\n`;
  writeFileSync(RESULTS, text);
  log(`wrote ${RESULTS}`);
}

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
  const bench = new Bench(s);
  const header =
    `Measured ${new Date().toISOString().slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ` +
    `Linux ${m.kernel}, Node ${m.node}; commit ${m.commit}. Library: ${moduleNote(module)}.` +
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
  if (s.profile) writeResults(`${header}\n\nReproduce: \`npm run build && npx tsx bench/scan-throughput.ts --profile --only ${[...s.sections].join(',')}\`\n${hot}`, 'scan-profile');
  else writeResults(`${header}\n\n${conditions}\n${bench.md.join('\n')}\n### Targets\n\n${summary}\n\n${total}\n`, 'scan-throughput');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
