import { Pool, errors, type Dispatcher } from 'undici';

/** A response from the model server, its body read from the connection as the caller asks for it. */
export interface UpstreamResponse {
  status: number;
  contentType: string;
  body: UpstreamBody;
}

/** One OpenAI-compatible server: a keep-alive connection pool and the path prefix of its API. */
export class Upstream {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;

  constructor(
    baseUrl: string,
    authorization: string | undefined,
    private readonly timeoutMs: number,
  ) {
    const u = new URL(baseUrl);
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.pool = new Pool(u.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
    this.headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization === undefined ? {} : { authorization }) };
  }

  /**
   * POSTs a JSON body to `<base><path>`. Resolves with the status and the body once headers arrive; the timeout
   * covers the wait for headers and every gap between body chunks. Errors are UpstreamFailure.
   *
   * Uses undici's `dispatch` with a handler of its own rather than `request`: no Readable stream, async resource or
   * async iterator per response, which were a large share of the gateway's CPU per request.
   */
  post(path: string, body: string): Promise<UpstreamResponse> {
    const body$ = new UpstreamBody();
    this.pool.dispatch({ method: 'POST', path: this.prefix + path, body, headers: this.headers, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs }, body$);
    return body$.head;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Chunks queued for the reader before the connection is paused (a slow client holds back a fast upstream). */
const HIGH_WATER_CHUNKS = 64;

/**
 * The dispatch handler of one upstream exchange, and the reader of its body: chunks queue as they arrive and are
 * taken in batches (all those queued at once), so a reader that fell behind catches up in one step.
 */
export class UpstreamBody implements Dispatcher.DispatchHandler {
  readonly head: Promise<UpstreamResponse>;
  private resolveHead!: (r: UpstreamResponse) => void;
  private rejectHead!: (err: unknown) => void;
  private started = false;
  private controller: Dispatcher.DispatchController | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Largest body the reader accepts (`readAll`); the exchange is aborted past it. */
  private max = Number.POSITIVE_INFINITY;
  private complete = false;
  private error: UpstreamFailure | undefined;
  private wake: (() => void) | undefined;

  constructor() {
    this.head = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the real response follows
    this.controller = controller;
    this.started = true;
    const ct = headers['content-type'];
    this.resolveHead({ status: statusCode, contentType: Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''), body: this });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      this.fail(new UpstreamFailure(502, 'upstream_bad_response', `the model server's response is over ${this.max} bytes`));
      return;
    }
    this.chunks.push(chunk);
    if (this.chunks.length >= HIGH_WATER_CHUNKS) controller.pause();
    this.notify();
  }

  onResponseEnd(): void {
    this.complete = true;
    this.notify();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    const f = this.error ?? UpstreamFailure.from(err);
    if (!this.started) {
      this.rejectHead(f);
      return;
    }
    this.error = f;
    this.notify();
  }

  /**
   * The next chunks, all that have queued since the last call (waiting for at least one); null once the body has
   * ended. Throws the UpstreamFailure that ended the exchange early.
   */
  async next(): Promise<Buffer[] | null> {
    while (this.chunks.length === 0 && !this.complete && this.error === undefined) await new Promise<void>((r) => (this.wake = r));
    if (this.chunks.length > 0) {
      const out = this.chunks;
      this.chunks = [];
      if (this.controller?.paused === true) this.controller.resume();
      return out;
    }
    if (this.error !== undefined) throw this.error;
    return null;
  }

  /** Reads the whole body, up to `max` bytes (a hostile upstream cannot exhaust memory). */
  async readAll(max: number): Promise<Buffer> {
    this.max = max;
    if (this.size > max) this.fail(new UpstreamFailure(502, 'upstream_bad_response', `the model server's response is over ${max} bytes`));
    while (!this.complete && this.error === undefined) await new Promise<void>((r) => (this.wake = r));
    if (this.error !== undefined) throw this.error;
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    return out;
  }

  /** Whether the body has ended and every chunk has been taken. */
  get finished(): boolean {
    return this.complete && this.chunks.length === 0;
  }

  /** Stops reading: the connection is closed (not reused) and the reader sees the failure, if it reads again. */
  destroy(): void {
    this.fail(new UpstreamFailure(502, 'upstream_error', 'the gateway stopped reading the response'));
  }

  private fail(f: UpstreamFailure): void {
    if (this.complete || this.error !== undefined) return;
    this.error = f;
    this.chunks = [];
    this.controller?.abort(f);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
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
