import { StringDecoder } from 'node:string_decoder';
import { coveredUntil, type Approval } from './approvals.js';
import { DiscoverError } from './errors.js';
import { localModelServer, pathMatters, providerOfHost } from './hosts.js';
import { csvParser, parseNginx, parseSquid, sniffFormat, type LineParser, type LogFormat, type LogRecord } from './log-formats.js';

/** Traffic from one client to one AI domain. */
export interface Flow {
  client: string;
  /** The host, with `:port` for local model servers. */
  domain: string;
  /** The AI provider, or `local` for a self-hosted model server. */
  provider: string;
  requests: number;
  bytes: number;
  /** ISO 8601 time of the first and last request; null when no line of the flow had a readable time. */
  first: string | null;
  last: string | null;
  /** True when an approval covered every request (each judged at its own time). */
  approved: boolean;
  /** Requests no approval covered. */
  unapprovedRequests: number;
}

export interface EgressReport {
  format: LogFormat;
  lines: number;
  malformed: number;
  flows: Flow[];
}

export interface EgressOptions {
  /** Default: recognised from the first non-empty line. */
  format?: LogFormat;
  approvals?: readonly Approval[];
  /** Called with the size of each chunk read (progress). */
  onChunk?: (bytes: number) => void;
}

/** Longer lines are counted as malformed and dropped while reading, so one huge line cannot hold memory. */
const MAX_LINE = 16 * 1024;
/** Hosts remembered between lines; cleared when full so memory stays bounded on logs with millions of hosts. */
const CACHE_LIMIT = 100_000;

interface FlowState {
  flow: Flow;
  until: number;
  firstMs: number;
  lastMs: number;
}

/**
 * Reads a proxy log as a stream and reports, per (client, domain), traffic to AI providers and local model servers.
 * Memory holds one line, the host cache and the AI flows, never the log. Approvals are judged at each line's own
 * time, so an old log reads as it was: a request before an approval's expiry is covered, one after it is not.
 *
 * @example
 * const report = await discoverEgress(createReadStream('access.log'), { approvals });
 * const unapproved = report.flows.filter((f) => !f.approved && f.provider !== 'local');
 */
export async function discoverEgress(chunks: AsyncIterable<Buffer | string>, opts: EgressOptions = {}): Promise<EgressReport> {
  const approvals = opts.approvals ?? [];
  const flows = new Map<string, FlowState>();
  const hosts = new Map<string, string | null>();
  let format = opts.format;
  let parse: LineParser | undefined;
  let lines = 0;
  let malformed = 0;

  const onLine = (line: string): void => {
    if (line.length === 0 || line.trim() === '') return;
    if (parse === undefined) {
      format ??= sniffFormat(line);
      if (format === undefined) throw new DiscoverError('DISCOVER_LOG_FORMAT_UNKNOWN', `cannot tell the log's format from its first line; pass --format squid, nginx or csv`);
      if (format === 'csv') {
        parse = csvParser(line);
        return;
      }
      parse = format === 'squid' ? parseSquid : parseNginx;
    }
    lines++;
    const rec = parse(line);
    if (rec === undefined) {
      malformed++;
      return;
    }
    const provider = classify(rec, hosts);
    if (provider === null) return;
    const domain = provider === 'local' && rec.port !== undefined ? `${rec.host}:${rec.port}` : rec.host;
    const key = `${rec.client}\t${domain}`;
    let s = flows.get(key);
    if (s === undefined) {
      s = { flow: { client: rec.client, domain, provider, requests: 0, bytes: 0, first: null, last: null, approved: true, unapprovedRequests: 0 }, until: coveredUntil(approvals, rec.client, provider, rec.host), firstMs: Infinity, lastMs: -Infinity };
      flows.set(key, s);
    }
    s.flow.requests++;
    s.flow.bytes += rec.bytes;
    if (!Number.isNaN(rec.time)) {
      if (rec.time < s.firstMs) s.firstMs = rec.time;
      if (rec.time > s.lastMs) s.lastMs = rec.time;
    }
    // A line without a readable time is covered only by an approval that never expires.
    if (!(rec.time < s.until || s.until === Infinity)) s.flow.unapprovedRequests++;
  };

  const decoder = new StringDecoder('utf8');
  let carry = '';
  let dropping = false;
  for await (const chunk of chunks) {
    opts.onChunk?.(chunk.length);
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      if (dropping) dropping = false;
      else onLine(stripCr(carry + text.slice(start, nl)));
      carry = '';
      start = nl + 1;
    }
    if (!dropping) carry += text.slice(start);
    if (carry.length > MAX_LINE) {
      // An over-long line: count it once, skip to its end.
      if (parse !== undefined) {
        lines++;
        malformed++;
      }
      carry = '';
      dropping = true;
    }
  }
  if (!dropping) onLine(stripCr(carry + decoder.end()));

  if (format === undefined) throw new DiscoverError('DISCOVER_LOG_INVALID', 'the log is empty; pass a proxy access log');
  if (lines > 0 && malformed === lines) throw new DiscoverError('DISCOVER_LOG_INVALID', `none of the log's ${lines} lines parses as ${format}; check --format`);
  const out = [...flows.values()].map((s) => ({
    ...s.flow,
    first: Number.isFinite(s.firstMs) ? new Date(s.firstMs).toISOString() : null,
    last: Number.isFinite(s.lastMs) ? new Date(s.lastMs).toISOString() : null,
    approved: s.flow.unapprovedRequests === 0,
  }));
  out.sort((a, b) => Number(a.approved) - Number(b.approved) || b.requests - a.requests || (a.client + a.domain < b.client + b.domain ? -1 : 1));
  return { format: format, lines, malformed, flows: out };
}

const stripCr = (s: string): string => (s.endsWith('\r') ? s.slice(0, -1) : s);

/** The provider of a request's destination, `local` for a model server, null for other traffic (cached by host:port). */
function classify(rec: LogRecord, cache: Map<string, string | null>): string | null {
  const key = rec.port === undefined ? rec.host : `${rec.host}:${rec.port}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = providerOfHost(rec.host) ?? null;
    // Hosts whose AI use depends on the path (internal servers, shared API hosts) are judged per request.
    if (hit === null && pathMatters(rec.host)) hit = '?';
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, hit);
  }
  if (hit !== '?') return hit;
  const provider = providerOfHost(rec.host, rec.path);
  if (provider !== undefined) return provider;
  return localModelServer(rec.host, rec.port, rec.path) === undefined ? null : 'local';
}
