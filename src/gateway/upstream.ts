import { Pool, errors } from 'undici';
import type { Readable } from 'node:stream';

/** One OpenAI-compatible server: a keep-alive connection pool and the path prefix of its API. */
export class Upstream {
  private readonly pool: Pool;
  private readonly prefix: string;

  constructor(
    baseUrl: string,
    private readonly authorization: string | undefined,
    private readonly timeoutMs: number,
  ) {
    const u = new URL(baseUrl);
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.pool = new Pool(u.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
  }

  /**
   * POSTs a JSON body to `<base><path>`. Resolves with the status and the body stream once headers arrive; the
   * timeout covers the wait for headers and every gap between body chunks. Errors are UpstreamFailure.
   */
  async post(path: string, body: string, signal?: AbortSignal): Promise<{ status: number; contentType: string; body: Readable }> {
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: this.prefix + path,
        body,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(this.authorization === undefined ? {} : { authorization: this.authorization }) },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(signal === undefined ? {} : { signal }),
      });
      const ct = res.headers['content-type'];
      return { status: res.statusCode, contentType: Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''), body: res.body };
    } catch (err) {
      throw UpstreamFailure.from(err);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Why an upstream call failed, as the client will be told: 504 for timeouts, 502 for everything else. */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: 502 | 504,
    readonly code: 'upstream_timeout' | 'upstream_unavailable' | 'upstream_error' | 'upstream_bad_response',
    message: string,
  ) {
    super(message);
  }

  static from(err: unknown): UpstreamFailure {
    if (err instanceof UpstreamFailure) return err;
    if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError || err instanceof errors.ConnectTimeoutError) {
      return new UpstreamFailure(504, 'upstream_timeout', 'the model server did not answer in time');
    }
    return new UpstreamFailure(502, 'upstream_unavailable', `the model server could not be reached or dropped the connection (${(err as Error)?.name ?? 'error'})`);
  }
}

/** Reads a whole response body up to `max` bytes (a hostile upstream cannot exhaust memory). */
export async function readBody(body: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body) {
      n += (c as Buffer).length;
      if (n > max) {
        body.destroy();
        throw new UpstreamFailure(502, 'upstream_bad_response', `the model server's response is over ${max} bytes`);
      }
      chunks.push(c as Buffer);
    }
  } catch (err) {
    throw UpstreamFailure.from(err);
  }
  return Buffer.concat(chunks, n);
}
