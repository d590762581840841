import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { parse as parseYaml } from 'yaml';
import { CoreError } from '../../core/errors.js';
import {
  applySuppressions,
  failsAt,
  formatSarif,
  formatText,
  scanPaths,
  summarize,
  SuppressionsSchema,
  type ScanReport,
  type Suppressions,
} from '../../model/index.js';
import type { Env } from '../env.js';
import { emit, type Io } from '../io.js';
import { resolveConfig, type ResolvedConfig } from '../resolve-config.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { VERSION } from '../version.js';

export interface ScanFlags {
  format?: string;
  json?: boolean;
  output?: string;
  failOn?: string;
  suppressions?: string;
  workers?: string;
  config?: string;
  progress?: boolean;
  verbose?: boolean;
  /** `--no-record`: do not write verdicts to the audit log. */
  record?: boolean;
}

const FORMATS = ['text', 'json', 'sarif'] as const;

/** `palisade scan <paths...>`: exit 1 on findings at or above --fail-on, else 2 if a file errored, else 0. */
export async function runScan(paths: string[], flags: ScanFlags, io: Io, env: Env): Promise<number> {
  const format = flags.json === true ? 'json' : (flags.format ?? 'text');
  if (!(FORMATS as readonly string[]).includes(format)) throw new CoreError('CORE_USAGE', `--format must be one of ${FORMATS.join(', ')}, not '${format}'`);
  const resolved = resolveConfig(io.cwd, env, flags.config, paths);
  const { config, file, warnings } = resolved;
  for (const w of warnings) io.stderr(`palisade: warning: ${w}\n`);
  const failOn = flags.failOn ?? config.scan.failOn;
  if (failOn !== 'unsafe' && failOn !== 'suspicious') throw new CoreError('CORE_USAGE', `--fail-on must be unsafe or suspicious, not '${failOn}'`);
  const workers = flags.workers === undefined ? config.scan.workers : Number(flags.workers);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1)) throw new CoreError('CORE_USAGE', `--workers must be a positive whole number, not '${flags.workers}'`);
  const supFile = flags.suppressions ?? (config.scan.suppressions === undefined || file === undefined ? undefined : resolve(dirname(file), config.scan.suppressions));
  const suppressions = supFile === undefined ? [] : loadSuppressions(resolve(io.cwd, supFile));

  const bar = flags.progress !== false && io.stderrIsTTY ? new SingleBar({ format: 'scanning {bar} {value}/{total} files | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true }) : undefined;
  const report: ScanReport = await scanPaths(
    paths.map((p) => resolve(io.cwd, p)),
    {
      allow: config.scan.allow,
      ...(workers === undefined ? {} : { workers }),
      onListed: (total) => bar?.start(total, 0),
      onFile: (done) => bar?.update(done),
    },
  );
  bar?.stop();
  // Report paths relative to the working directory, as the user typed them.
  for (const f of report.files) f.path = shown(io.cwd, f.path);
  for (const s of report.skipped ?? []) s.path = shown(io.cwd, s.path);
  await applySuppressions(report.files, suppressions, (r) => resolve(io.cwd, r.path));
  report.summary = summarize(report.files, report.summary.durationMs);

  const text =
    format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'sarif' ? JSON.stringify(formatSarif(report, VERSION), null, 2) + '\n' : formatText(report, { verbose: flags.verbose === true });
  emit(io, text, flags.output);
  if (resolved.home !== undefined && flags.record !== false) await recordVerdicts(io, env, resolved, report);
  if (report.files.length === 0) {
    io.stderr('palisade: nothing to scan: the paths hold no files\n');
    return 2;
  }
  if (report.files.some((f) => failsAt(f.verdict, failOn))) return 1;
  return report.files.some((f) => f.verdict === 'error') ? 2 : 0;
}

/** With a home, every verdict goes into the audit log; a log that cannot be written is a warning, not a failed scan. */
async function recordVerdicts(io: Io, env: Env, resolved: ResolvedConfig, report: ScanReport): Promise<void> {
  let rt: Runtime | undefined;
  try {
    rt = await createRuntime(io, env, {}, resolved);
    const log = rt.log;
    const actor = rt.actor;
    await Promise.all(
      report.files.map((f) =>
        log.record({
          type: 'scan.verdict',
          actor,
          subject: `path:${f.path}`,
          data: { format: f.format, verdict: f.verdict, size: f.size, rules: [...new Set(f.findings.map((x) => x.rule))].sort(), findings: f.findings.length, ...(f.sha256 === undefined ? {} : { sha256: f.sha256 }) },
        }),
      ),
    );
  } catch (err) {
    io.stderr(`palisade: warning: scan verdicts were not recorded in the audit log: ${(err as Error).message}\n`);
  } finally {
    await rt?.close();
  }
}

function loadSuppressions(file: string): Suppressions {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CoreError('CORE_CONFIG_INVALID', `cannot read suppressions ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = SuppressionsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CoreError('CORE_CONFIG_INVALID', `${file}: '${i.path.join('.')}': ${i.message}`);
  }
  return parsed.data.suppressions;
}

function shown(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}
