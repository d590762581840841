import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One proxied request, and what discovery must make of it: `ai` is the provider (or `local`) a flow must report,
 * null for traffic that is not AI (the decoys); `covered` says whether approved.yaml covers it at its time.
 */
interface Event {
  t: string;
  client: string;
  host: string;
  port: number;
  /** Undefined: a CONNECT tunnel. */
  path?: string;
  bytes: number;
  ai: string | null;
  covered?: boolean;
}

const APPROVED = `# Approved AI egress. Keys other than host, provider, domains and expires are ignored.
approved:
  - host: 10.1.0.0/16
    provider: openai
    expires: 2026-06-01
    owner: data-team
  - host: 10.2.0.7
    provider: anthropic
    domains: [api.anthropic.com]
    ticket: SEC-1234
  - host: 10.3.0.0/24
    provider: aws-bedrock
`;

const E = (t: string, client: string, host: string, port: number, path: string | undefined, bytes: number, ai: string | null, covered = false): Event => ({ t, client, host, port, ...(path === undefined ? {} : { path }), bytes, ai, covered });

const EVENTS: Event[] = [
  E('2026-05-31T09:00:00Z', '10.1.0.5', 'api.openai.com', 443, '/v1/chat/completions', 5120, 'openai', true),
  E('2026-05-31T09:05:00Z', '10.1.0.5', 'api.openai.com', 443, '/v1/chat/completions', 2048, 'openai', true),
  E('2026-05-31T23:59:59Z', '10.1.0.5', 'api.openai.com', 443, undefined, 999, 'openai', true),
  // After the approval's expiry (2026-06-01 00:00 UTC): the same client and domain are no longer covered.
  E('2026-06-01T10:00:00Z', '10.1.0.5', 'api.openai.com', 443, '/v1/embeddings', 4096, 'openai'),
  E('2026-06-01T10:01:00Z', '10.1.0.5', 'api.openai.com', 443, undefined, 100, 'openai'),
  E('2026-05-30T08:00:00Z', '10.1.2.3', 'api.openai.com', 443, undefined, 700, 'openai', true),
  E('2026-05-30T08:00:01Z', '10.1.2.3', 'api.openai.com', 443, undefined, 800, 'openai', true),
  E('2026-06-01T11:00:00Z', '10.2.0.7', 'api.anthropic.com', 443, '/v1/messages', 3000, 'anthropic', true),
  E('2026-06-01T11:00:10Z', '10.2.0.7', 'api.anthropic.com', 443, undefined, 3100, 'anthropic', true),
  E('2026-06-02T11:00:00Z', '10.2.0.7', 'api.anthropic.com', 443, '/v1/messages', 3200, 'anthropic', true),
  E('2026-06-01T11:02:00Z', '10.2.0.8', 'api.anthropic.com', 443, undefined, 1234, 'anthropic'),
  // Approved for api.anthropic.com only: the consumer app is another domain.
  E('2026-06-01T11:03:00Z', '10.2.0.7', 'claude.ai', 443, undefined, 50000, 'anthropic'),
  E('2026-06-01T12:00:00Z', '10.3.0.4', 'bedrock-runtime.us-east-1.amazonaws.com', 443, undefined, 8000, 'aws-bedrock', true),
  E('2026-06-01T12:30:00Z', '10.4.0.1', 'generativelanguage.googleapis.com', 443, '/v1beta/models/gemini-pro:generateContent', 6000, 'google-gemini'),
  E('2026-06-01T12:31:00Z', '10.4.0.1', 'openrouter.ai', 443, undefined, 700, 'openrouter'),
  E('2026-06-01T12:32:00Z', '10.4.0.1', 'api.cloudflare.com', 443, '/client/v4/accounts/0123abcd/ai/run/@cf/meta/llama-3-8b-instruct', 900, 'cloudflare-workers-ai'),
  E('2026-06-01T12:33:00Z', '10.4.0.1', 'contoso-ai.openai.azure.com', 443, undefined, 1500, 'azure-openai'),
  E('2026-06-01T13:00:00Z', '10.4.0.2', '10.0.0.50', 11434, '/api/generate', 2500, 'local'),
  E('2026-06-01T13:01:00Z', '10.4.0.2', '10.0.0.60', 8000, '/v1/chat/completions', 2600, 'local'),
  // Decoys: the same companies' other hosts, look-alike domains, non-AI paths and tunnels to internal servers.
  E('2026-06-01T13:02:00Z', '10.4.0.2', '10.0.0.60', 8000, '/health', 20, null),
  E('2026-06-01T13:03:00Z', '10.4.0.2', '10.0.0.70', 8000, undefined, 30, null),
  E('2026-06-01T13:04:00Z', '10.4.0.1', 'www.google.com', 443, undefined, 10000, null),
  E('2026-06-01T13:05:00Z', '10.4.0.1', 'storage.googleapis.com', 443, undefined, 10000, null),
  E('2026-06-01T13:06:00Z', '10.4.0.1', 's3.amazonaws.com', 443, undefined, 10000, null),
  E('2026-06-01T13:07:00Z', '10.4.0.1', 'platform.openai.com', 443, undefined, 10000, null),
  E('2026-06-01T13:08:00Z', '10.4.0.1', 'api.openai.com.evil.example', 443, '/v1/chat/completions', 10000, null),
  E('2026-06-01T13:09:00Z', '10.4.0.1', 'api-openai.com', 443, undefined, 10000, null),
  E('2026-06-01T13:10:00Z', '10.4.0.1', 'openai.com', 80, '/', 10000, null),
  E('2026-06-01T13:11:00Z', '10.4.0.1', 'api.cloudflare.com', 443, undefined, 10000, null),
  E('2026-06-01T13:12:00Z', '10.4.0.1', 'api.cloudflare.com', 443, '/client/v4/zones', 10000, null),
  E('2026-06-01T13:13:00Z', '10.4.0.1', 'docs.anthropic.com', 443, undefined, 10000, null),
  E('2026-06-01T13:14:00Z', '10.4.0.1', 'mistral-wind.example.com', 443, undefined, 10000, null),
];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
const hostPort = (e: Event): string => `${e.host}:${e.port}`;
const url = (e: Event): string => `${e.port === 80 ? 'http' : e.port === 443 ? 'https' : 'http'}://${e.port === 80 || e.port === 443 ? e.host : hostPort(e)}${e.path}`;

function squid(e: Event): string {
  const secs = (Date.parse(e.t) / 1000).toFixed(3);
  const [method, target, code] = e.path === undefined ? ['CONNECT', hostPort(e), 'TCP_TUNNEL/200'] : ['POST', url(e), 'TCP_MISS/200'];
  return `${secs}    152 ${e.client} ${code} ${e.bytes} ${method} ${target} - HIER_DIRECT/${e.host} -`;
}

function nginx(e: Event): string {
  const d = new Date(Date.parse(e.t) + 2 * 3600_000);
  const when = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0200`;
  // Internal model servers behind a reverse proxy: a path in $request, the host in an appended "$http_host" field.
  if (e.path !== undefined && e.host.startsWith('10.')) return `${e.client} - - [${when}] "POST ${e.path} HTTP/1.1" 200 ${e.bytes} "-" "python-httpx/0.27" "${hostPort(e)}"`;
  const request = e.path === undefined ? `CONNECT ${hostPort(e)} HTTP/1.1` : `POST ${url(e)} HTTP/1.1`;
  return `${e.client} - alice [${when}] "${request}" 200 ${e.bytes} "-" "Mozilla/5.0 (X11; Linux x86_64)"`;
}

function csv(e: Event): string {
  return `${e.t},${e.client},${e.path === undefined ? hostPort(e) : url(e)},${e.bytes},"curl/8.5, ""custom"""`;
}

/** Writes the logs, approved.yaml and expected-egress.json into `out`. */
export function writeEgressFixtures(out: string): void {
  const bad = 'this line is not a log line';
  writeFileSync(join(out, 'squid-access.log'), [...EVENTS.map(squid), bad].join('\n') + '\n');
  writeFileSync(join(out, 'nginx-access.log'), [...EVENTS.map(nginx), bad].join('\n') + '\n');
  writeFileSync(join(out, 'egress.csv'), ['timestamp,client_ip,url,bytes_sent,user_agent', ...EVENTS.map(csv), bad].join('\r\n') + '\r\n');
  writeFileSync(join(out, 'approved.yaml'), APPROVED);
  const flows = new Map<string, { client: string; domain: string; provider: string; requests: number; bytes: number; approved: boolean; unapprovedRequests: number }>();
  for (const e of EVENTS) {
    if (e.ai === null) continue;
    const domain = e.ai === 'local' ? hostPort(e) : e.host;
    const key = `${e.client} ${domain}`;
    const f = flows.get(key) ?? { client: e.client, domain, provider: e.ai, requests: 0, bytes: 0, approved: true, unapprovedRequests: 0 };
    f.requests++;
    f.bytes += e.bytes;
    if (e.covered !== true) f.unapprovedRequests++;
    f.approved = f.unapprovedRequests === 0;
    flows.set(key, f);
  }
  writeFileSync(join(out, 'expected-egress.json'), JSON.stringify({ lines: EVENTS.length + 1, malformed: 1, flows: [...flows.values()] }, null, 2) + '\n');
}
