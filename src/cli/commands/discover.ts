import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CoreError } from '../../core/errors.js';
import { discoverCode, formatCodeJson, formatCodeSarif, formatCodeText, type CodeReport } from '../../discover/index.js';
import type { Env } from '../env.js';
import { emit, type Io } from '../io.js';
import { recordIfHome } from '../record.js';
import { VERSION } from '../version.js';
import { registerDiscoverEgress } from './discover-egress.js';

interface CodeFlags {
  format?: string;
  json?: boolean;
  output?: string;
  config?: string;
  progress?: boolean;
  record?: boolean;
  verbose?: boolean;
}

const FORMATS = ['text', 'json', 'sarif'] as const;

/** `palisade discover code|egress`: shadow-AI discovery in repositories and in proxy logs. */
export function registerDiscover(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const discover = program.command('discover').description('find AI SDKs, endpoints, keys and local model servers in code, and AI traffic in egress logs');

  discover
    .command('code')
    .description('find AI use in a repository; exit 0 nothing found, 1 findings, 2 bad input')
    .argument('<dir>', 'the folder to walk (.gitignore is honoured)')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--config <file>', 'config file (for the home whose audit log records the result)')
    .option('--no-progress', 'no progress counter')
    .option('--no-record', 'do not record the result in the audit log (recorded when a home exists)')
    .option('-v, --verbose', 'list every skipped file')
    .action(async (dir: string, f: CodeFlags) => {
      const format = f.json === true ? 'json' : (f.format ?? 'text');
      if (!(FORMATS as readonly string[]).includes(format)) throw new CoreError('CORE_USAGE', `--format must be one of ${FORMATS.join(', ')}, not '${format}'`);
      const bar = f.progress !== false && io.stderrIsTTY ? new SingleBar({ format: 'discovering {value} files read', stream: process.stderr, hideCursor: true, clearOnComplete: true }) : undefined;
      bar?.start(0, 0);
      let report: CodeReport;
      try {
        report = discoverCode(resolve(io.cwd, dir), { onFile: (n) => bar?.update(n) });
      } finally {
        bar?.stop();
      }
      noteSkipped(io, report, f.verbose === true);
      const text = format === 'json' ? formatCodeJson(report) : format === 'sarif' ? JSON.stringify(formatCodeSarif(report, VERSION), null, 2) + '\n' : formatCodeText(report);
      emit(io, text, f.output);
      // The folder under inspection is untrusted: a config or home inside it is never read.
      await recordCode(io, env, f, dir, report);
      setCode(report.findings.length > 0 ? 1 : 0);
    });

  registerDiscoverEgress(discover, io, env, setCode);

}

/** Skipped files are a note on stderr (counts, or every file with --verbose), so every output format stays clean. */
function noteSkipped(io: Io, report: CodeReport, verbose: boolean): void {
  if (report.skipped.length === 0) return;
  if (verbose) {
    for (const s of report.skipped) io.stderr(`palisade: note: skipped ${s.file} (${s.reason})\n`);
    return;
  }
  const count = (r: string): number => report.skipped.filter((s) => s.reason === r).length;
  const parts = [`${count('binary')} binary`, `${count('too-large')} over 1 MiB`, `${count('unreadable')} unreadable`].filter((p) => !p.startsWith('0 '));
  io.stderr(`palisade: note: skipped ${parts.join(', ')} file(s) (--verbose lists them)\n`);
}

/** With a home (none inside the folder under inspection), the result goes into the audit log: counts and providers, never evidence. */
function recordCode(io: Io, env: Env, f: CodeFlags, dir: string, report: CodeReport): Promise<void> {
  const kinds: Record<string, number> = {};
  for (const x of report.findings) kinds[x.kind] = (kinds[x.kind] ?? 0) + 1;
  return recordIfHome(io, env, f, [dir], (actor) => [
    {
      type: 'discover.code',
      actor,
      subject: `path:${dir}`,
      data: { files: report.files, skipped: report.skipped.length, findings: report.findings.length, kinds, providers: [...new Set(report.findings.map((x) => x.provider))].sort() },
    },
  ]);
}
