import { HOST_HINT, localModelServer, providerOfHost } from './hosts.js';

/** A hosted AI endpoint or a self-hosted model server named on a line. */
export interface EndpointHit {
  kind: 'endpoint' | 'local-model';
  provider: string;
  evidence: string;
}

/** A hostname (at least two labels), with the port and path that follow it when it is part of a URL. */
const HOSTNAME = /(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z]{2,63})(?::(\d{1,5}))?(\/[^\s'"`<>)\]},;]{0,200})?(?![\w-])/gi;
/** A URL (or a bare host:port) whose host may be internal: localhost, an IP, a single-label service name. */
const URL_OR_HOSTPORT = /(?:\b(?:https?|wss?):\/\/([\w.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::(\d{1,5}))?(\/[^\s'"`<>)\]},;]{0,200})?|(?<![\w.:/-])(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host\.docker\.internal):(\d{1,5})\b)/gi;
/**
 * Documentation hosts in subdomain families (`your-resource.openai.azure.com`, `{resource}.openai.azure.com`): a
 * placeholder for the user to fill in, not a call. Only the first label is judged.
 */
const PLACEHOLDER_LABEL = /^(?:(?:your|my)(?:[-_][\w-]*)?|example|sample|placeholder|x{3,}|resource(?:[-_]?name)?|endpoint|instance|deployment|name|foo|test)\./i;
const STRING_LITERAL = /(['"`])((?:(?!\1)[^\\\n]|\\.){0,300})\1/g;
const CONSTANT = /^\s*(?:(?:export\s+)?(?:const|let|var|final|static|private|public|val)\s+)*(?:[\w<>[\]]+\s+)?([A-Za-z_]\w{0,63})\s*(?::=|=)\s*(['"`])([^'"`\\\n]{1,200})\2\s*;?\s*$/;
const ASSEMBLY = /\+|\.join\(|\$\{|\bf['"]|%s|\{[A-Za-z_]\w*\}/;

/** Hosted AI endpoints and local model servers on one line. */
export function endpointHits(line: string): EndpointHit[] {
  const hits: EndpointHit[] = [];
  if (HOST_HINT.test(line)) {
    for (const m of line.matchAll(HOSTNAME)) {
      const provider = providerOfHost(m[1]!, m[3]);
      if (provider !== undefined && !PLACEHOLDER_LABEL.test(m[1]!) && !hits.some((h) => h.provider === provider)) hits.push({ kind: 'endpoint', provider, evidence: m[0].slice(0, 200) });
    }
  }
  if (/localhost|127\.0\.0\.1|0\.0\.0\.0|::1|\.internal|:\/\/|:\d/.test(line)) {
    for (const m of line.matchAll(URL_OR_HOSTPORT)) {
      const host = m[1] ?? m[4]!;
      const server = localModelServer(host, m[2] ?? m[5], m[3]);
      if (server !== undefined && !hits.some((h) => h.kind === 'local-model')) hits.push({ kind: 'local-model', provider: server, evidence: m[0].slice(0, 200) });
    }
  }
  return hits;
}

/** String constants a file assigns (`BASE = "openai"`, `const host = 'api.x.ai'`), for resolving assembled hostnames. */
export function collectConstant(line: string, constants: Map<string, string>): void {
  const m = CONSTANT.exec(line);
  if (m !== null && constants.size < 2000) constants.set(m[1]!, m[3]!);
}

/**
 * Hostnames assembled from pieces on one line: string literals and known constants concatenated in order
 * (`"api." + PROVIDER + ".com"`), template and f-string holes filled from constants, and `[...].join('.')`.
 * Only hosts that do not appear literally on the line are returned (those are found by `endpointHits`).
 */
export function assembledHits(line: string, constants: ReadonlyMap<string, string>): EndpointHit[] {
  if (!ASSEMBLY.test(line)) return [];
  const fill = (s: string): string =>
    s.replace(/\$\{\s*(['"])([^'"]{0,200})\1\s*\}/g, '$2').replace(/\$?\{\s*([A-Za-z_]\w*)\s*\}/g, (whole, id: string) => constants.get(id) ?? whole);
  const literals: string[] = [];
  let joined = '';
  let at = 0;
  for (const m of line.matchAll(STRING_LITERAL)) {
    joined += identifiers(line.slice(at, m.index), constants) + fill(m[2]!);
    literals.push(fill(m[2]!));
    at = m.index + m[0].length;
  }
  joined += identifiers(line.slice(at), constants);
  const candidates = [joined];
  // JS `[...].join('.')` and Python `'.'.join([...])`: the separator is the join's own literal, not a piece.
  const jsSep = /\]\s*\.join\(\s*(['"])([^'"]{0,3})\1\s*\)/.exec(line);
  if (jsSep !== null) candidates.push(literals.join(jsSep[2]!));
  const pySep = /(['"])([^'"]{0,3})\1\s*\.join\(\s*[[(]/.exec(line);
  if (pySep !== null) candidates.push(literals.filter((_l, i) => i !== literals.indexOf(pySep[2]!)).join(pySep[2]!));
  const literal = new Set(endpointHits(line).map((h) => h.provider));
  const out: EndpointHit[] = [];
  for (const c of candidates) {
    for (const h of endpointHits(c)) {
      if (!literal.has(h.provider) && !out.some((o) => o.provider === h.provider)) out.push({ ...h, evidence: `assembled: ${h.evidence}` });
    }
  }
  return out;
}

/** The values of constants named in code between string literals; other code contributes nothing. */
function identifiers(code: string, constants: ReadonlyMap<string, string>): string {
  let out = '';
  for (const m of code.matchAll(/[A-Za-z_]\w*/g)) out += constants.get(m[0]) ?? '';
  return out;
}
