import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CoreError } from '../../core/errors.js';
import { compileApprovals, discoverEgress, DiscoverError, formatEgressJson, formatEgressText, LOG_FORMATS, type Approval, type EgressReport, type LogFormat } from '../../discover/index.js';
import type { Env } from '../env.js';
import { emit, type Io } from '../io.js';
import { byteProgress } from '../progress.js';
import { resolveConfig } from '../resolve-config.js';
import { recordIfHome } from '../record.js';

interface EgressFlags {
  format?: string;
  approved?: string;
  json?: boolean;
  output?: string;
  config?: string;
  progress?: boolean;
  record?: boolean;
}

/** `palisade discover egress <log>`: AI traffic per client and domain in a proxy log, with approvals. */
export function registerDiscoverEgress(discover: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  discover
    .command('egress')
    .description('find traffic to AI providers in a proxy log; exit 0 none unapproved, 1 unapproved AI traffic, 2 bad input')
    .argument('<log>', 'squid native access.log, nginx combined log, or CSV with a header')
    .option('--format <format>', `${LOG_FORMATS.join(' | ')} (default: recognised from the first line)`)
    .option('--approved <file>', 'approved.yaml: approved: [ { host: <ip or CIDR>, provider, domains?, expires? } ] (added to the config\'s discover.approved)')
    .option('--json', 'print the flows as JSON')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--config <file>', 'config file (approvals in discover.approved; its home records the result)')
    .option('--no-progress', 'no progress bar')
    .option('--no-record', 'do not record the result in the audit log (recorded when a home exists)')
    .action(async (log: string, f: EgressFlags) => {
      if (f.format !== undefined && !(LOG_FORMATS as readonly string[]).includes(f.format)) throw new DiscoverError('DISCOVER_LOG_FORMAT_UNKNOWN', `--format must be one of ${LOG_FORMATS.join(', ')}, not '${f.format}'`);
      const resolved = resolveConfig(io.cwd, env, f.config);
      const approvals: Approval[] = [...compileApprovals({ approved: resolved.config.discover.approved }, `${resolved.file ?? 'config'}: discover`), ...(f.approved === undefined ? [] : loadApprovals(resolve(io.cwd, f.approved)))];
      const path = resolve(io.cwd, log);
      let size: number;
      try {
        const st = statSync(path);
        if (!st.isFile()) throw new DiscoverError('DISCOVER_PATH_NOT_FOUND', `${log} is not a file; pass a proxy access log`);
        size = st.size;
      } catch (err) {
        if (err instanceof DiscoverError) throw err;
        throw new DiscoverError('DISCOVER_PATH_NOT_FOUND', `cannot read ${log}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pass a log file that exists`, { cause: err });
      }
      const progress = byteProgress(io, f.progress, 'reading');
      progress.onListed(size);
      let report: EgressReport;
      try {
        // Rotated logs are often gzipped (access.log.1.gz): read through gunzip, still as a stream. Progress counts compressed bytes.
        const raw = createReadStream(path, { highWaterMark: 1 << 20 });
        const source = isGzip(path) ? raw.on('data', (c) => progress.onBytes(c.length)).pipe(createGunzip()) : raw;
        report = await discoverEgress(source, { ...(f.format === undefined ? {} : { format: f.format as LogFormat }), approvals, ...(isGzip(path) ? {} : { onChunk: progress.onBytes }) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (typeof code === 'string' && code.startsWith('Z_')) throw new DiscoverError('DISCOVER_LOG_INVALID', `${log} is not a readable gzip file (${(err as Error).message}); decompress it or pass the plain log`, { cause: err });
        throw err;
      } finally {
        progress.stop();
      }
      if (report.malformed > 0) io.stderr(`palisade: note: ${report.malformed} of ${report.lines} lines did not parse as ${report.format} and were skipped\n`);
      emit(io, f.json === true ? formatEgressJson(report) : formatEgressText(report), f.output);
      const unapproved = report.flows.filter((x) => !x.approved && x.provider !== 'local');
      await recordIfHome(io, env, f, [], (actor) => [
        {
          type: 'discover.egress',
          actor,
          subject: `path:${log}`,
          data: { format: report.format, lines: report.lines, malformed: report.malformed, flows: report.flows.length, unapprovedFlows: unapproved.length, providers: [...new Set(report.flows.map((x) => x.provider))].sort() },
        },
      ]);
      setCode(unapproved.length > 0 ? 1 : 0);
    });
}

function loadApprovals(file: string): Approval[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: 100 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new CoreError('CORE_USAGE', `cannot read ${file}: ${code}; pass an approvals file that exists`, { cause: err });
    throw new DiscoverError('DISCOVER_APPROVALS_INVALID', `${file} is not YAML: ${(err as Error).message}`, { cause: err });
  }
  return compileApprovals(doc, file);
}

/** gzip's magic number (RFC 1952 §2.3.1), read from the file itself rather than trusted from its name. */
function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
