import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { ApprovalSchema } from '../core/config-schema.js';
import { DiscoverError } from './errors.js';
import { normalizeHost, PROVIDERS } from './hosts.js';

/** An approval ready to match: its clients as a block list, provider and domains lower-cased, expiry in ms. */
export interface Approval {
  clients: BlockList;
  provider: string;
  domains?: readonly string[];
  /** Requests strictly before this instant are covered; Infinity when the approval does not expire. */
  expiresMs: number;
}

const FileSchema = z.object({ approved: z.array(ApprovalSchema).max(10_000) });
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Checks and compiles approvals (an `--approved` file's document, or the config's `discover.approved` list wrapped
 * as `{ approved }`). `source` names where they came from in errors.
 *
 * @example
 * const approvals = compileApprovals({ approved: [{ host: '10.0.0.0/8', provider: 'openai', expires: '2027-01-01' }] }, 'approved.yaml');
 */
export function compileApprovals(doc: unknown, source: string): Approval[] {
  const parsed = FileSchema.safeParse(doc ?? { approved: [] });
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new DiscoverError('DISCOVER_APPROVALS_INVALID', `${source}: '${i.path.join('.')}': ${i.message}; expected approved: [ { host, provider, domains?, expires? } ]`);
  }
  return parsed.data.approved.map((a, n) => {
    const where = `${source}: approved.${n}`;
    const clients = new BlockList();
    const [addr, prefix, extra] = a.host.split('/');
    const family = isIP(addr!);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === 0 || extra !== undefined || !(bits >= 0 && bits <= (family === 6 ? 128 : 32))) {
      throw new DiscoverError('DISCOVER_APPROVALS_INVALID', `${where}.host: '${a.host}' is not an IP address or CIDR (e.g. 10.0.0.0/8)`);
    }
    clients.addSubnet(addr!, bits, family === 6 ? 'ipv6' : 'ipv4');
    // A misspelt provider would make an approval that silently covers nothing.
    if (!PROVIDERS.has(a.provider.toLowerCase())) {
      throw new DiscoverError('DISCOVER_APPROVALS_INVALID', `${where}.provider: '${a.provider}' is not a provider discovery reports; use one of ${[...PROVIDERS].sort().join(', ')}`);
    }
    return {
      clients,
      provider: a.provider.toLowerCase(),
      ...(a.domains === undefined ? {} : { domains: a.domains.map((d) => normalizeHost(d.replace(/^\*\./, ''))) }),
      expiresMs: a.expires === undefined ? Infinity : expiryOf(a.expires, `${where}.expires`),
    };
  });
}

/** A date (`2026-12-31`, read as that day's start in UTC) or an ISO 8601 date-time with a zone. */
function expiryOf(v: string | Date, where: string): number {
  if (v instanceof Date) return v.getTime();
  const d = DATE_ONLY.exec(v);
  const ms = d !== null ? Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) : /^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms) || (d !== null && new Date(ms).getUTCDate() !== Number(d[3]))) {
    throw new DiscoverError('DISCOVER_APPROVALS_INVALID', `${where}: '${v}' is not a date (2026-12-31) or a date-time with a zone (2026-12-31T18:00:00Z)`);
  }
  return ms;
}

/**
 * Until when approvals cover `client` talking to `provider` at `domain`: the latest expiry among those that match,
 * -Infinity when none does. A client that is not an IP address matches no approval (approvals name addresses).
 */
export function coveredUntil(approvals: readonly Approval[], address: string, provider: string, domain: string): number {
  // Dual-stack servers log IPv4 clients as IPv4-mapped IPv6 (::ffff:10.1.0.5); approvals name them as IPv4.
  const client = /^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
  const family = isIP(client);
  if (family === 0) return -Infinity;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const host = normalizeHost(domain.replace(/:\d+$/, ''));
  let until = -Infinity;
  for (const a of approvals) {
    if (a.provider !== provider || !a.clients.check(client, type)) continue;
    if (a.domains !== undefined && !a.domains.some((d) => host === d || host.endsWith('.' + d))) continue;
    until = Math.max(until, a.expiresMs);
  }
  return until;
}
