import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { keyedDigest, searchEntries, verifyLog } from '../../src/audit/index.js';
import { canaryBucket, revokeApiKey, listApiKeys } from '../../src/gateway/index.js';
import { chat, sleep, sseData, startGateway, within, type Harness } from './support.js';

type ErrorBody = { error: { message: string; code: string } };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const entries = async (store: Harness['store'], type = 'gateway.request') => (await searchEntries(store, { type, limit: 1000 })).reverse();

describe('gateway: OpenAI-compatible proxy', () => {
  it('forwards a chat completion with the upstream credential, never the client key, and records the request', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream, model: 'upstream-model', apiKeyEnv: 'UPSTREAM_KEY' } } }), { secrets: { UPSTREAM_KEY: 'sk-upstream-secret' } });
    const key = await h.key();
    const r = await h.post('/v1/chat/completions', key, chat('What is the capital of France?'));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: expect.stringContaining('demo model') } }] });
    const seen = h.upstream.seen.at(-1)!;
    expect(seen.path).toBe('/chat/completions');
    expect(seen.body.model).toBe('upstream-model');
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-secret');
    expect(JSON.stringify(seen.headers)).not.toContain(key);
    await h.log.flush();
    const [e] = await entries(h.store);
    expect(e).toMatchObject({ actor: expect.stringMatching(/^apikey:[0-9a-f]{12}$/), subject: 'model:chat', data: { status: 200, route: 'primary', stream: false, promptTokens: expect.any(Number), completionTokens: expect.any(Number), promptDigest: expect.stringMatching(/^hmac-sha256:/), responseDigest: expect.stringMatching(/^hmac-sha256:/) } });
    // The log holds digests, not the prompt: keyed digests of the prompt and of the answer's text.
    expect(JSON.stringify(e)).not.toContain('capital of France');
    expect(e!.data).toMatchObject({ promptDigest: keyedDigest(h.digestSecret, 'What is the capital of France?'), responseDigest: keyedDigest(h.digestSecret, (body as { choices: { message: { content: string } }[] }).choices[0]!.message.content) });
  });

  it('serves completions, embeddings and the models a key may use', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream }, embed: { upstream: u.upstream }, other: { upstream: u.upstream } } }));
    const key = await h.key({ models: ['chat', 'embed'] });
    expect((await h.post('/v1/completions', key, { model: 'chat', prompt: 'Say hi' })).status).toBe(200);
    const emb = await h.post('/v1/embeddings', key, { model: 'embed', input: ['a', 'b'] });
    expect(await emb.json()).toMatchObject({ object: 'list', data: [{ object: 'embedding' }] });
    const models = (await (await fetch(`${h.base}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(['chat', 'embed']);
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toMatch(/palisade_gateway_requests_total\{model="chat",route="primary",status="200"\} 1/);
  });

  it('answers 401, 403, 404, 413 and 400 in the OpenAI error shape', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream }, secret: { upstream: u.upstream } }, gateway: { bodyLimitBytes: 2048 } }));
    const key = await h.key();
    const expired = await h.key({ expiresAt: new Date(Date.now() + 150) });
    const cases: [Response, number, string][] = [
      [await h.post('/v1/chat/completions', undefined, chat()), 401, 'invalid_api_key'],
      [await h.post('/v1/chat/completions', 'pk_short', chat()), 401, 'invalid_api_key'],
      [await h.post('/v1/chat/completions', `pk_${'A'.repeat(43)}`, chat()), 401, 'invalid_api_key'],
      [await h.post('/v1/chat/completions', key, { ...chat(), model: 'secret' }), 403, 'model_not_allowed'],
      [await h.post('/v1/chat/completions', key, { ...chat(), model: 'nope' }), 404, 'model_not_found'],
      [await h.post('/v1/chat/completions', key, chat('x'.repeat(5000))), 413, 'request_too_large'],
      [await h.post('/v1/chat/completions', key, '{"model": "chat", '), 400, 'invalid_json'],
      [await h.post('/v1/chat/completions', key, { messages: [] }), 400, 'model_required'],
    ];
    for (const [r, status, code] of cases) {
      expect(r.status, code).toBe(status);
      expect(await r.json()).toMatchObject({ error: { code, type: expect.any(String), message: expect.any(String) } });
    }
    await sleep(200);
    const late = await h.post('/v1/chat/completions', expired, chat());
    expect(late.status).toBe(401);
    expect(((await late.json()) as ErrorBody).error.message).toMatch(/expired/);
    // Revocation reaches the running gateway at its next key refresh.
    const [rec] = await listApiKeys(h.store);
    await revokeApiKey(h.store, rec!.id);
    await sleep(150);
    const revoked = await h.post('/v1/chat/completions', key, chat());
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as ErrorBody).error.message).toMatch(/revoked/);
    // Nothing reached the upstream for any refused request.
    expect(h.upstream.seen).toHaveLength(0);
  });

  it('limits requests per minute per key with 429 and Retry-After', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream } }, limits: { default: { rpm: 3 } } }));
    const a = await h.key();
    const b = await h.key();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await h.post('/v1/chat/completions', a, chat())).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const r = await h.post('/v1/chat/completions', a, chat());
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await r.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', type: 'rate_limit_error' } });
    // Another key has its own allowance.
    expect((await h.post('/v1/chat/completions', b, chat())).status).toBe(200);
  });

  it('limits tokens per minute and settles reservations with the usage the upstream reports', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream } }, limits: { default: { tpm: 400 } } }));
    const key = await h.key();
    // Each request reserves its prompt estimate plus max_tokens (100) and settles at ~30 tokens of real usage, so far
    // more than 400 / 100 = 4 requests fit in the minute; without settling, the fifth would be refused.
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await h.post('/v1/chat/completions', key, chat('hi', { max_tokens: 100 }))).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const big = await h.post('/v1/chat/completions', key, chat('hi', { max_tokens: 10_000 }));
    expect(big.status).toBe(429);
  });
});

describe('gateway: streaming', () => {
  it('streams SSE events through as they arrive and ends with [DONE]', async () => {
    h = await startGateway();
    const key = await h.key();
    const r = await h.post('/v1/chat/completions', key, chat('Hello', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = sseData(await r.text());
    expect(data.at(-1)).toBe('[DONE]');
    const text = data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Hello from the Palisade demo model. Ask me anything. (primary)');
    await h.log.flush();
    expect((await entries(h.store))[0]).toMatchObject({ data: { status: 200, stream: true, completionTokens: expect.any(Number), promptDigest: keyedDigest(h.digestSecret, 'Hello'), responseDigest: keyedDigest(h.digestSecret, text) } });
  });

  it('sends a stream that has wholly arrived in one response with a Content-Length; one that trickles goes chunked, each event as it comes', async () => {
    const event = (content: string, finish: string | null = null): string => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    let release = (): void => undefined;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        // "whole": every event in one write; "trickle": the first event, then the rest once the test has seen it.
        if (req.url!.startsWith('/whole')) return void res.end(`${event('one ')}${event('two', 'stop')}data: [DONE]\n\n`);
        res.write(event('one '));
        release = () => void res.end(`${event('two', 'stop')}data: [DONE]\n\n`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      h = await startGateway(() => ({ models: { whole: { upstream: `${base}/whole/v1` }, trickle: { upstream: `${base}/trickle/v1` } } }));
      const key = await h.key({ models: ['whole', 'trickle'] });
      const whole = await h.post('/v1/chat/completions', key, { ...chat('Hi', { stream: true }), model: 'whole' });
      const wholeText = await whole.text();
      expect(whole.headers.get('content-length')).toBe(String(Buffer.byteLength(wholeText)));
      expect(sseData(wholeText).map((d) => (d === '[DONE]' ? d : JSON.parse(d).choices[0].delta.content))).toEqual(['one ', 'two', '[DONE]']);

      const trickle = await h.post('/v1/chat/completions', key, { ...chat('Hi', { stream: true }), model: 'trickle' });
      expect(trickle.headers.get('content-length')).toBeNull();
      expect(trickle.headers.get('transfer-encoding')).toBe('chunked');
      const reader = trickle.body!.getReader();
      const first = Buffer.from((await reader.read()).value!).toString('utf8');
      // The first event reached the client while the upstream still held the rest.
      expect(sseData(first).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual(['one ']);
      release();
      let rest = '';
      for (let c = await reader.read(); !c.done; c = await reader.read()) rest += Buffer.from(c.value).toString('utf8');
      expect(sseData(rest).at(-1)).toBe('[DONE]');
      await h.log.flush();
      expect((await entries(h.store)).map((e) => (e.data as Record<string, unknown>).responseDigest)).toEqual([keyedDigest(h.digestSecret, 'one two'), keyedDigest(h.digestSecret, 'one two')]);
    } finally {
      await h?.close();
      h = undefined;
      await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    }
  });

  it('ends a stream the upstream cut off midway with an error event, then [DONE], and records it', async () => {
    h = await startGateway();
    const key = await h.key();
    const r = await h.post('/v1/chat/completions', key, chat('Hello', { stream: true, demo_fault: 'cut' }));
    const data = sseData(await r.text());
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2)!)).toMatchObject({ error: { code: 'upstream_error' } });
    await h.log.flush();
    expect((await entries(h.store))[0]).toMatchObject({ data: { status: 502, error: 'upstream_error', stream: true } });
  });

  /** An upstream that streams events for as long as its client reads (with backpressure), until the client goes. */
  async function endlessUpstream(): Promise<{ url: string; events: () => number; closedEarly: () => boolean; close: () => Promise<void> }> {
    let events = 0;
    let closedEarly = false;
    const event = `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'word '.repeat(200) }, finish_reason: null }] })}\n\n`;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.on('close', () => (closedEarly = !res.writableFinished));
        const pump = (): void => {
          while (!res.destroyed) {
            events++;
            if (!res.write(event)) return void res.once('drain', pump);
          }
        };
        pump();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      events: () => events,
      closedEarly: () => closedEarly,
      close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
    };
  }

  it('stops the upstream request when the client disconnects mid-stream, and records client_gone', async () => {
    const up = await endlessUpstream();
    try {
      h = await startGateway(() => ({ models: { chat: { upstream: up.url } } }));
      const key = await h.key();
      const abort = new AbortController();
      const r = await fetch(`${h.base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chat('Hello', { stream: true })), signal: abort.signal });
      const reader = r.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      abort.abort();
      expect(await within(5000, true, async () => up.closedEarly())).toBe(true);
      const kept = up.events();
      await sleep(200);
      // The upstream is no longer read: no more events are pulled from it.
      expect(up.events()).toBe(kept);
      await h.log.flush();
      expect(await within(5000, 'client_gone', async () => ((await entries(h!.store))[0]?.data as { error?: string } | undefined)?.error)).toBe('client_gone');
      expect((await entries(h.store))[0]).toMatchObject({ data: { status: 200, stream: true, error: 'client_gone' } });
    } finally {
      await h?.close();
      h = undefined;
      await up.close();
    }
  });

  it('cuts off a streaming client that stops reading, after gateway.clientStallMs, and the upstream with it', async () => {
    const up = await endlessUpstream();
    try {
      h = await startGateway(() => ({ models: { chat: { upstream: up.url } }, gateway: { clientStallMs: 300 } }));
      const key = await h.key();
      const { port } = new URL(h.base);
      const body = JSON.stringify(chat('Hello', { stream: true }));
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${key}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      // Never read: the gateway's writes back up once the socket buffers are full.
      socket.pause();
      expect(await within(10_000, true, async () => up.closedEarly()), 'the upstream request of a stalled client was never stopped').toBe(true);
      await h.log.flush();
      expect(await within(5000, 'client_stalled', async () => ((await entries(h!.store))[0]?.data as { error?: string } | undefined)?.error)).toBe('client_stalled');
      // The gateway dropped the connection: once the client reads again, what was buffered ends without [DONE].
      const rest: Buffer[] = [];
      socket.on('data', (b: Buffer) => rest.push(b));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.resume();
      expect(await Promise.race([closed.then(() => true), sleep(10_000).then(() => false)]), 'the stalled connection was left open').toBe(true);
      expect(Buffer.concat(rest).toString('utf8')).not.toContain('[DONE]');
    } finally {
      await h?.close();
      h = undefined;
      await up.close();
    }
  });
});

describe('gateway: upstream faults', () => {
  it('maps 5xx, resets, malformed JSON and timeouts to 502/504 and records each', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream, timeoutMs: 300 } } }));
    const key = await h.key();
    const cases: [string, number, string][] = [
      ['500', 502, 'upstream_error'],
      ['reset', 502, 'upstream_unavailable'],
      ['badjson', 502, 'upstream_bad_response'],
      ['timeout', 504, 'upstream_timeout'],
    ];
    for (const [fault, status, code] of cases) {
      const r = await h.post('/v1/chat/completions', key, chat('hi', { demo_fault: fault }));
      expect(r.status, fault).toBe(status);
      expect(await r.json()).toMatchObject({ error: { code, type: 'upstream_error' } });
    }
    await h.log.flush();
    expect((await entries(h.store)).map((e) => [(e.data as Record<string, unknown>).status, (e.data as Record<string, unknown>).error])).toEqual(cases.map(([, s, c]) => [s, c]));
  });
});

describe('gateway: canary', () => {
  it('puts a key in the bucket SHA-256(key id ‖ NUL ‖ model) mod 100 names, so assignments survive upgrades', () => {
    // Pinned: a change to how the bucket is computed would move keys between primary and canary mid-rollout.
    expect(canaryBucket('k_123', 'chat')).toBe(66);
    expect(canaryBucket('4fc61f61a64a', 'fraud')).toBe(0);
    for (const [id, model] of [['a', 'b'], ['é', 'ü'], ['key', ''], ['x'.repeat(300), 'model-with-a-long-name']]) {
      expect(canaryBucket(id!, model!)).toBe(createHash('sha256').update(id!).update('\0').update(model!).digest().readUInt32BE(0) % 100);
    }
  });

  it('another instance on the same store stops using a canary within a refresh of its rollback', async () => {
    const configure = (u: { upstream: string; canary: string }) => ({ models: { chat: { upstream: u.upstream, canary: { upstream: u.canary, weight: 100, rollback: { maxErrorRate: 0.2, minRequests: 3 } } } } });
    h = await startGateway(configure);
    const other = await startGateway(configure, { store: h.store, keyRefreshMs: 50 });
    try {
      const key = await h.key();
      await other.key();
      const ask = async (g: Harness, extra: Record<string, unknown> = {}) => ((await (await g.post('/v1/chat/completions', key, chat('hi', extra))).text()).includes('(canary)') ? 'canary' : 'other');
      expect(await ask(other)).toBe('canary');
      for (let i = 0; i < 4; i++) await ask(h, { demo_fault: '500' });
      expect(await ask(h)).toBe('other');
      await sleep(200);
      expect(await ask(other)).toBe('other');
    } finally {
      await other.close();
    }
  });

  it('sends a stable share of keys to the canary and rolls it back for good when its error rate breaks the bound', async () => {
    const configure = (u: { upstream: string; canary: string }) => ({ models: { chat: { upstream: u.upstream, canary: { upstream: u.canary, weight: 50, rollback: { maxErrorRate: 0.2, minRequests: 6 } } } } });
    h = await startGateway(configure);
    const keys = await Promise.all(Array.from({ length: 12 }, () => h!.key()));
    // Which side each key lands on is fixed: ask twice.
    const side = async (k: string, extra: Record<string, unknown> = {}) => {
      const r = await h!.post('/v1/chat/completions', k, chat('hi', extra));
      return r.status === 200 ? ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content.includes('(canary)') : 'failed';
    };
    const first = await Promise.all(keys.map((k) => side(k)));
    expect(await Promise.all(keys.map((k) => side(k)))).toEqual(first);
    expect(first.filter((c) => c === true).length).toBeGreaterThan(0);
    expect(first.filter((c) => c === false).length).toBeGreaterThan(0);
    // The canary starts failing: after minRequests in the window with > 20% errors, it is rolled back.
    const canaryKeys = keys.filter((_, i) => first[i] === true);
    for (let i = 0; i < 8; i++) await side(canaryKeys[i % canaryKeys.length]!, { demo_fault: '500' });
    const after = await Promise.all(keys.map((k) => side(k)));
    expect(after.every((c) => c === false)).toBe(true);
    await h.log.flush();
    const [rb] = await entries(h.store, 'gateway.canary_rolled_back');
    expect(rb).toMatchObject({ subject: 'model:chat', data: { reason: expect.stringMatching(/error rate/) } });
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toMatch(/palisade_gateway_canary_rollbacks_total\{model="chat"\} 1/);
    // A restart (a new gateway on the same store) does not revive the rolled-back canary.
    const store = h.store;
    const again = await startGateway(configure, { store });
    const k = await again.key();
    const r = await again.post('/v1/chat/completions', k, chat());
    expect(again.canary!.seen).toHaveLength(0);
    expect(r.status).toBe(200);
    await again.close();
  });
});

describe('gateway: audit', () => {
  it('records every request, and the log verifies after a burst of concurrent traffic', async () => {
    h = await startGateway();
    const key = await h.key();
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => h!.post('/v1/chat/completions', i % 10 === 0 ? 'pk_bad' : key, chat(`prompt ${i}`, { stream: i % 3 === 0 })).then(async (r) => (await r.text(), r.status))));
    expect(results.filter((s) => s === 200)).toHaveLength(108);
    expect(results.filter((s) => s === 401)).toHaveLength(12);
    await h.log.flush();
    expect(await entries(h.store)).toHaveLength(120);
    const v = await verifyLog(h.store, { origin: h.log.key.origin, verifier: h.log.key.verifier });
    expect(v).toMatchObject({ ok: true, size: 120 });
  });
});

describe('gateway: retries, fallback and shutdown', () => {
  it('retries a failing upstream, then falls back to another model, recording which served', async () => {
    h = await startGateway((u) => ({ models: { chat: { upstream: u.upstream, retries: 2 }, dead: { upstream: 'http://127.0.0.1:1/v1', retries: 1, fallback: 'backup' }, backup: { upstream: u.canary } } }));
    const key = await h.key({ models: ['chat', 'dead'] });
    // Fails twice, then answers: two retries hide it from the client.
    const r = await h.post('/v1/chat/completions', key, chat('hi', { demo_fault: 'flaky:2:a' }));
    expect(r.status).toBe(200);
    expect(h.upstream.seen.filter((s) => s.body.demo_fault === 'flaky:2:a')).toHaveLength(3);
    // Unreachable: after its retry, the fallback model (on the other upstream) answers.
    const f = await h.post('/v1/chat/completions', key, { ...chat('hi'), model: 'dead' });
    expect(f.status).toBe(200);
    expect(((await f.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toContain('(canary)');
    expect(h.canary!.seen.at(-1)!.body.model).toBe('backup');
    await h.log.flush();
    expect((await entries(h.store)).at(-1)).toMatchObject({ subject: 'model:dead', data: { status: 200, fallback: 'backup' } });
  });

  it('drains in-flight requests on close: a slow answer still completes', async () => {
    h = await startGateway();
    const key = await h.key();
    const slow = h.post('/v1/chat/completions', key, chat('hi', { demo_fault: 'slow:400' }));
    await sleep(100);
    const closing = h.close();
    h = undefined;
    const r = await slow;
    expect(r.status).toBe(200);
    await closing;
  });
});
