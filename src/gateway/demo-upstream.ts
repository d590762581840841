import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LISTEN_BACKLOG } from './server.js';

/** How many recent requests the demo upstream keeps in `seen`. */
export const SEEN_KEPT = 1000;

/**
 * A tiny OpenAI-compatible model server on loopback: the demo upstream of `npm start`, and the upstream of the
 * gateway's tests and benchmarks. It answers chat, completions and embeddings with fixed text (JSON, or SSE with one
 * event per word when `stream` is set, or per `demo_chunk` characters), reports usage, and answers with the request's
 * `demo_reply` text when given (`{system}` in it repeats the system prompt, as a model tricked into leaking it would). With
 * `faults: true` a request's `demo_fault` field (the gateway forwards the body, never client headers) makes it
 * misbehave on demand: `500`, `timeout` (never answers),
 * `reset` (drops the connection), `badjson`, `cut` (a stream that stops midway), `slow:<ms>` or `flaky:<n>[:tag]`
 * (the first n requests with that exact string fail with 500).
 */
export interface DemoUpstream {
  url: string;
  /** Recent requests (at least the last {@link SEEN_KEPT}), with the headers and body the gateway sent (tests check what was forwarded). */
  seen: { path: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

const REPLY = 'Hello from the Palisade demo model. Ask me anything.';

export async function startDemoUpstream(opts: { port?: number; faults?: boolean; name?: string } = {}): Promise<DemoUpstream> {
  const seen: DemoUpstream['seen'] = [];
  const flaky = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void answer(req, res, Buffer.concat(chunks)));
  });
  async function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      // Left empty: the reply below still has the OpenAI shape.
    }
    const path = (req.url ?? '/').replace(/^\/v1/, '');
    seen.push({ path, headers: req.headers, body });
    // `npm start` runs this for as long as the user likes: keep the recent requests, not all of them.
    if (seen.length > 2 * SEEN_KEPT) seen.splice(0, seen.length - SEEN_KEPT);
    const fault = opts.faults === true && typeof body.demo_fault === 'string' ? body.demo_fault : '';
    if (fault === 'timeout') return;
    if (fault === 'reset') return void req.socket.destroy();
    if (fault.startsWith('slow:')) await new Promise((r) => setTimeout(r, Number(fault.slice(5))));
    // flaky:<n>: the first n requests carrying this very fault string fail with 500, later ones succeed.
    if (fault.startsWith('flaky:')) {
      const seenCount = (flaky.get(fault) ?? 0) + 1;
      flaky.set(fault, seenCount);
      if (seenCount <= Number(fault.slice(6).split(':')[0])) return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"flaky","type":"server_error"}}');
    }
    if (fault === '500') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom","type":"server_error"}}');
    if (fault === 'badjson') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [');
    const system = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]).find((m) => m?.role === 'system')?.content : undefined;
    const reply = typeof body.demo_reply === 'string' ? body.demo_reply.replace('{system}', typeof system === 'string' ? system : '') : undefined;
    const text = reply !== undefined ? reply : `${REPLY}${opts.name === undefined ? '' : ` (${opts.name})`}`;
    const model = typeof body.model === 'string' ? body.model : 'demo';
    const usage = { prompt_tokens: Math.ceil(raw.length / 4), completion_tokens: Math.ceil(text.length / 4), total_tokens: Math.ceil(raw.length / 4) + Math.ceil(text.length / 4) };
    if (path === '/embeddings') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], usage }));
    }
    const chat = path === '/chat/completions';
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const size = typeof body.demo_chunk === 'number' && body.demo_chunk > 0 ? body.demo_chunk : 0;
      const words = size > 0 ? (text.match(new RegExp(`[^]{1,${size}}`, 'g')) ?? []) : text.split(/(?<= )/);
      const n = fault === 'cut' ? Math.max(1, words.length >> 1) : words.length;
      for (let i = 0; i < n; i++) {
        const choice = chat ? { index: 0, delta: { ...(i === 0 ? { role: 'assistant' } : {}), content: words[i] }, finish_reason: null } : { index: 0, text: words[i], finish_reason: null };
        res.write(`data: ${JSON.stringify({ id: 'demo-1', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 0, model, choices: [choice] })}\n\n`);
      }
      if (fault === 'cut') return void res.end();
      res.write(`data: ${JSON.stringify({ id: 'demo-1', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`);
      return void res.end('data: [DONE]\n\n');
    }
    const choice = chat ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'demo-1', object: chat ? 'chat.completion' : 'text_completion', created: 0, model, choices: [choice], usage }));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
