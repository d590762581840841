import { request } from 'undici';
import { AccessError } from '../access/index.js';
import { ControlError, RemoteError } from './errors.js';
import { CONTROL_PREFIX, type Operation } from './operation.js';

/** Largest answer read from a server: an audit search of 10,000 entries fits many times over. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface Server {
  /** The base URL without a trailing slash (a path is kept: the API may sit behind a proxy under one). */
  base: string;
  /** True when the token would cross the network unencrypted (http:// to a host other than loopback). */
  cleartext: boolean;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Checks a `--server` / PALISADE_SERVER URL: http(s), no credentials, query or fragment in it. */
export function parseServer(url: string): Server {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ControlError('CONTROL_SERVER_INVALID', `--server must be a URL like https://palisade.example.com, not '${url.slice(0, 200)}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ControlError('CONTROL_SERVER_INVALID', `--server must be an http:// or https:// URL, not ${u.protocol}`);
  if (u.username !== '' || u.password !== '') throw new ControlError('CONTROL_SERVER_INVALID', '--server must not carry credentials; the CLI sends PALISADE_TOKEN');
  if (u.search !== '' || u.hash !== '') throw new ControlError('CONTROL_SERVER_INVALID', '--server must not have a query or fragment');
  return { base: `${u.origin}${u.pathname.replace(/\/+$/, '')}`, cleartext: u.protocol === 'http:' && !LOOPBACK.test(u.hostname) };
}

/** The operation's URL and body for this input: `:field` path segments from the input, the rest as query or JSON body. */
export function requestFor(base: string, op: Operation<unknown, unknown>, input: Record<string, unknown>): { url: string; body?: string } {
  const rest: Record<string, unknown> = { ...input };
  const path = op.path.replace(/:([A-Za-z]+)/g, (_m, field: string) => {
    const v = rest[field];
    delete rest[field];
    if (typeof v !== 'string' || v === '') throw new ControlError('CONTROL_REQUEST_INVALID', `${field}: required`);
    return encodeURIComponent(v);
  });
  const fields = Object.entries(rest).filter(([, v]) => v !== undefined);
  if (op.method !== 'POST') {
    const q = new URLSearchParams(fields.map(([k, v]): [string, string] => [k, String(v)]));
    return { url: `${base}${CONTROL_PREFIX}${path}${fields.length === 0 ? '' : `?${q.toString()}`}` };
  }
  return { url: `${base}${CONTROL_PREFIX}${path}`, body: JSON.stringify(Object.fromEntries(fields)) };
}

async function readBounded(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body) {
    total += c.length;
    if (total > MAX_RESPONSE_BYTES) throw new ControlError('CONTROL_RESPONSE_INVALID', `the server's answer is over ${MAX_RESPONSE_BYTES} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs an operation on a control-plane server as the user whose token is given. Success is the operation's result;
 * a refusal is a {@link RemoteError} with the server's code and message, so callers (and exit codes) treat it as on
 * the local path. Redirects are never followed: the token goes only to the server named.
 */
export async function callServer<I, R>(server: Server, token: string | undefined, op: Operation<I, R>, input: I): Promise<R> {
  if (token === undefined || token === '') throw new AccessError('ACCESS_TOKEN_INVALID', 'a server needs a user token: set PALISADE_TOKEN to your token from palisade users create');
  // A token with a control character or space cannot be a Palisade token, and must not reach a header.
  if (!/^[\x21-\x7e]+$/.test(token)) throw new AccessError('ACCESS_TOKEN_INVALID', 'PALISADE_TOKEN is not a valid token: it holds spaces or control characters');
  const { url, body } = requestFor(server.base, op as Operation<unknown, unknown>, input as Record<string, unknown>);
  let res;
  try {
    res = await request(url, {
      method: op.method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
  } catch (err) {
    throw new ControlError('CONTROL_SERVER_UNREACHABLE', `cannot reach the control plane at ${server.base}: ${(err as Error).message}; check --server (or PALISADE_SERVER) and that palisade serve runs there`, { cause: err });
  }
  const text = await readBounded(res.body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (res.statusCode >= 200 && res.statusCode < 300 && parsed !== undefined) return parsed as R;
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(error.code)) throw new RemoteError(error.code, error.message, res.statusCode);
  throw new ControlError('CONTROL_RESPONSE_INVALID', `${server.base} answered HTTP ${res.statusCode} without a control-plane answer: is it a palisade serve of this version?`);
}
