import { DiscoverError } from './errors.js';

export const LOG_FORMATS = ['squid', 'nginx', 'csv'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** One proxied request: when (ms since the epoch, NaN when the line's time does not parse), who, where, how much. */
export interface LogRecord {
  time: number;
  client: string;
  host: string;
  port?: string;
  /** Known for full URLs; undefined for CONNECT tunnels. */
  path?: string;
  bytes: number;
}

/** Parses one line (already split) into a record, or undefined when the line is malformed. */
export type LineParser = (line: string) => LogRecord | undefined;

const SQUID_SNIFF = /^\d{9,11}(?:\.\d{1,6})?\s+-?\d+\s+\S+\s+[A-Z_]+\/\d{3}\s+\d+\s+\S+\s+\S+/;
const NGINX_SNIFF = /^\S+ \S+ \S+ \[[^\]]+\] "/;

/** The format of a log from its first non-empty line; undefined when none matches. */
export function sniffFormat(first: string): LogFormat | undefined {
  if (SQUID_SNIFF.test(first)) return 'squid';
  if (NGINX_SNIFF.test(first)) return 'nginx';
  if (first.includes(',') && /client|src|source/i.test(first) && /host|domain|dest|dst|url|sni/i.test(first)) return 'csv';
  return undefined;
}

/** `https://host:port/path?q`, `host:443` (CONNECT) or `host`: the parts a flow needs. Undefined when there is no host. */
export function splitTarget(target: string): { host: string; port?: string; path?: string } | undefined {
  // Hot path: plain index arithmetic; only the authority goes through a (bounded, anchored) expression.
  const sep = target.indexOf('://');
  const scheme = sep > 0 && sep <= 16 && /^[a-z][a-z0-9+.-]*$/i.test(target.slice(0, sep)) ? target.slice(0, sep).toLowerCase() : undefined;
  const rest = scheme === undefined ? target : target.slice(sep + 3);
  let slash = -1;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) {
      slash = i;
      break;
    }
  }
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = scheme === undefined ? undefined : slash < 0 ? '/' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const m = HOST_PORT.exec(at < 0 ? authority : authority.slice(at + 1));
  if (m === null) return undefined;
  const port = m[2] ?? (scheme === 'https' ? '443' : scheme === 'http' ? '80' : undefined);
  const out: { host: string; port?: string; path?: string } = { host: m[1]!.toLowerCase() };
  if (port !== undefined) out.port = port;
  if (path !== undefined) out.path = path;
  return out;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]{2,45}\]|[^\s:[\]]{1,253})(?::(\d{1,5}))?$/;

/** The first `max` runs of non-blank characters (spaces and tabs separate): a hot path, so no regular expression. */
function fields(line: string, max: number): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (out.length < max) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    out.push(line.slice(start, i));
  }
  return out;
}

/**
 * Squid's native access.log: `time elapsed client code/status bytes method URL user hierarchy/peer type`
 * (squid-cache.org, "Squid native access.log format"). Full URLs for plain HTTP (and SSL-bumped HTTPS);
 * `host:443` for CONNECT tunnels, whose path the proxy never sees.
 */
export const parseSquid: LineParser = (line) => {
  const f = fields(line, 7);
  if (f.length < 7) return undefined;
  const time = Number(f[0]) * 1000;
  const bytes = Number(f[4]);
  if (!Number.isFinite(time) || !Number.isSafeInteger(bytes) || bytes < 0) return undefined;
  const target = splitTarget(f[6]!) as LogRecord | undefined;
  if (target === undefined) return undefined;
  target.time = time;
  target.client = f[2]!;
  target.bytes = bytes;
  return target;
};

/** nginx escapes `"` and `\` in logged strings as `\x22` or `\"` (depending on `escape=`); both stay inside a field. */
const NGINX = /^(\S+) \S+ \S+ \[([^\]]{1,64})\] "((?:[^"\\]|\\.){0,8192})" (\d{3}) (\d+|-)(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*"(?: "([^"]*)")?)?/;
const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** nginx `$time_local`: `10/Oct/2026:13:55:36 +0000`. */
export function nginxTime(s: string): number {
  const m = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
  const month = m === null ? undefined : MONTHS[m[2]!];
  if (m === null || month === undefined) return NaN;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset;
}

/**
 * nginx `combined` format. As a forward proxy nginx logs absolute URLs (`GET http://host/path`) or `CONNECT host:443`
 * in `$request`; as a reverse proxy the request holds only a path, and the host comes from a quoted field appended
 * after the user agent (`log_format … '"$http_user_agent" "$host"'`). Lines with neither are malformed.
 */
export const parseNginx: LineParser = (line) => {
  const m = NGINX.exec(line);
  if (m === null) return undefined;
  const [method, target] = m[3]!.split(' ');
  if (method === undefined || target === undefined) return undefined;
  const t = method === 'CONNECT' || /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? splitTarget(target) : m[6] === undefined ? undefined : splitTarget(m[6]);
  if (t === undefined) return undefined;
  const path = t.path ?? (method === 'CONNECT' ? undefined : target.startsWith('/') ? target : undefined);
  return { time: nginxTime(m[2]!), client: m[1]!, bytes: m[5] === '-' ? 0 : Number(m[5]), host: t.host, ...(t.port === undefined ? {} : { port: t.port }), ...(path === undefined ? {} : { path }) };
};

/** Splits one CSV record (RFC 4180 quoting; a record per line). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      const comma = line.indexOf(',', i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end + 1;
    }
  }
  return out;
}

const COLUMNS = {
  time: ['time', 'timestamp', 'date', 'datetime', 'ts', '@timestamp', 'event_time'],
  client: ['client', 'client_ip', 'clientip', 'src', 'src_ip', 'source', 'source_ip', 'c-ip'],
  host: ['host', 'domain', 'dest', 'destination', 'dst', 'dest_host', 'dst_host', 'server', 'sni', 'hostname', 'cs-host', 'url', 'uri', 'request_url', 'cs-uri'],
  bytes: ['bytes', 'bytes_out', 'bytes_sent', 'sent_bytes', 'size', 'sc-bytes', 'cs-bytes', 'response_size', 'bytes_in'],
  port: ['port', 'dest_port', 'dst_port', 'dport'],
} as const;

/** CSV time: ISO 8601, or seconds (or milliseconds, when it is that large) since the epoch. */
function csvTime(v: string | undefined): number {
  if (v === undefined || v === '') return NaN;
  if (/^\d+(?:\.\d+)?$/.test(v)) {
    const n = Number(v);
    return n > 1e12 ? n : n * 1000;
  }
  return /^\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?$/.test(v) ? Date.parse(v.includes('T') ? v : v.replace(' ', 'T')) : NaN;
}

/**
 * A CSV parser for the log whose first line is `header`: columns are found by name (client, host or URL, time,
 * bytes, port; case-insensitive, common proxy and SIEM spellings). A header without a client or a destination column
 * is refused.
 */
export function csvParser(header: string): LineParser {
  const names = csvFields(header).map((n) => n.toLowerCase());
  const col = (k: keyof typeof COLUMNS): number => {
    for (const c of COLUMNS[k]) {
      const i = names.indexOf(c);
      if (i >= 0) return i;
    }
    return -1;
  };
  const [time, client, host, bytes, port] = [col('time'), col('client'), col('host'), col('bytes'), col('port')];
  if (client < 0 || host < 0) {
    throw new DiscoverError('DISCOVER_LOG_FORMAT_UNKNOWN', `the CSV header '${header.slice(0, 200)}' names no client column (client, src_ip, …) or no destination column (host, domain, url, …); add a header row that does`);
  }
  return (line) => {
    const f = csvFields(line);
    const t = splitTarget(f[host] ?? '');
    const b = bytes < 0 ? 0 : Number(f[bytes] ?? '0');
    if (t === undefined || f[client] === undefined || f[client] === '' || !Number.isSafeInteger(b) || b < 0) return undefined;
    const p = t.port ?? (port < 0 || !/^\d{1,5}$/.test(f[port] ?? '') ? undefined : f[port]);
    return { time: csvTime(time < 0 ? undefined : f[time]), client: f[client]!, bytes: b, host: t.host, ...(p === undefined ? {} : { port: p }), ...(t.path === undefined ? {} : { path: t.path }) };
  };
}
