import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatManifest, parseManifest, snapshotDataset, verifyDataset } from '../../data/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { byteProgress } from '../progress.js';
import { recordIfHome } from '../record.js';
import { registerDataCheck } from './data-check.js';
import { readInput, shown, threadsFlag, writeOutput } from './sign.js';

interface DataFlags {
  json?: boolean;
  progress?: boolean;
  record?: boolean;
  config?: string;
  threads?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `palisade data snapshot` and `palisade data verify`: dataset manifests that diff cleanly in git. */
export function registerData(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const data = program.command('data').description('dataset manifests: per-file SHA-256, sizes, row counts and a root digest');
  const common = (c: Command): Command =>
    c
      .option('--threads <n>', 'hashing threads (default: one per core)')
      .option('--json', 'print the result as JSON')
      .option('--no-progress', 'no progress bar')
      .option('--no-record', 'do not record in the audit log (recorded when a home exists)')
      .option('--config <file>', 'config file (for the audit log)');

  common(data.command('snapshot').description('write a manifest of a dataset folder or file'))
    .argument('<dataset>', 'dataset folder or file')
    .option('--out <file>', 'where to write the manifest', 'data.manifest.json')
    .option('--name <name>', 'the dataset name recorded (default: the folder name)')
    .option('--ignore <path>', 'leave this path (relative to the dataset) out; repeatable', collect, [])
    .option('--no-rows', 'do not count rows of CSV/TSV/JSONL/Parquet files')
    .action(async (dataset: string, f: DataFlags & { out: string; name?: string; ignore: string[]; rows?: boolean }) => {
      const target = resolve(io.cwd, dataset);
      const out = resolve(io.cwd, f.out);
      const threads = threadsFlag(f.threads);
      const bar = byteProgress(io, f.progress, 'hashing');
      let snap;
      try {
        snap = await snapshotDataset(target, { name: f.name ?? basename(target), ignorePaths: f.ignore, exclude: [out], rows: f.rows !== false, ...(threads === undefined ? {} : { threads }), onListed: bar.onListed, onBytes: bar.onBytes });
      } finally {
        bar.stop();
      }
      writeOutput(out, formatManifest(snap.manifest), 'manifest');
      for (const w of snap.warnings) io.stderr(`palisade: warning: ${w}\n`);
      const m = snap.manifest;
      const summary = { dataset: shown(io.cwd, target), manifest: shown(io.cwd, out), rootDigest: m.rootDigest, files: m.files, bytes: m.bytes, ...(m.rows === undefined ? {} : { rows: m.rows }), warnings: snap.warnings };
      io.stdout(f.json === true ? JSON.stringify(summary, null, 2) + '\n' : `snapshot of ${summary.dataset}: ${m.files} files, ${m.bytes} bytes${m.rows === undefined ? '' : `, ${m.rows} rows`}\nroot digest ${m.rootDigest}\nwrote ${summary.manifest}\n`);
      await recordIfHome(io, env, f, [target], (actor) => [{ type: 'data.snapshot', actor, subject: `path:${summary.dataset}`, data: { name: m.name, rootDigest: m.rootDigest, files: m.files, bytes: m.bytes, ...(m.rows === undefined ? {} : { rows: m.rows }), manifest: summary.manifest } }]);
      setCode(0);
    });

  common(data.command('verify').description('check a dataset against its manifest; exit 1 naming every modified, added or removed file'))
    .argument('<dataset>', 'dataset folder or file')
    .option('--manifest <file>', 'the manifest', 'data.manifest.json')
    .action(async (dataset: string, f: DataFlags & { manifest: string }) => {
      const target = resolve(io.cwd, dataset);
      const file = resolve(io.cwd, f.manifest);
      const m = parseManifest(readInput(io, f.manifest, 'manifest').toString('utf8'));
      const threads = threadsFlag(f.threads);
      const bar = byteProgress(io, f.progress, 'verifying');
      let r;
      try {
        r = await verifyDataset(target, m, { exclude: [file], ...(threads === undefined ? {} : { threads }), onListed: bar.onListed, onBytes: bar.onBytes });
      } finally {
        bar.stop();
      }
      const name = shown(io.cwd, target);
      const lines = [r.ok ? `VERIFIED ${name}: ${r.files} files match ${shown(io.cwd, file)}` : `FAILED ${name}: ${r.consistent ? 'the dataset does not match its manifest' : "the manifest's root digest does not match its own entries (the manifest was edited)"}`];
      for (const k of ['modified', 'added', 'removed'] as const) for (const p of r.diff[k]) lines.push(`  ${k}: ${p}`);
      io.stdout(f.json === true ? JSON.stringify({ dataset: name, manifest: shown(io.cwd, file), ...r }, null, 2) + '\n' : lines.join('\n') + '\n');
      await recordIfHome(io, env, f, [target], (actor) => [
        { type: 'data.verified', actor, subject: `path:${name}`, data: { ok: r.ok, consistent: r.consistent, rootDigest: r.rootDigest, modified: r.diff.modified.length, added: r.diff.added.length, removed: r.diff.removed.length } },
      ]);
      setCode(r.ok ? 0 : 1);
    });

  registerDataCheck(data, io, env, setCode);
}
