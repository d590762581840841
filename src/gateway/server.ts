import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.js';
import { keyedDigest, recordText } from '../audit/index.js';
import type { Config } from '../core/config-schema.js';
import type { Store } from '../store/index.js';
import type { ApiKeyIndex, ApiKeyRecord } from './api-keys.js';
import { GatewayError } from './errors.js';
import type { LimitCheck, Limiter, Settle } from './limits.js';
import { GatewayMetrics } from './metrics.js';
import { deltaText, errorBody, reserveEstimate, requestTexts, responseText, usageOf, type Endpoint, type ErrorType, type Usage } from './openai.js';
import { AnomalyDetector } from './anomaly.js';
import { CanaryWindow, canaryBucket, loadCanaryWeight, recordRollback, refreshRollbacks, RegistryLinks, type ModelRoute, type Route } from './routing.js';
import { guardInput, guardOutputText, StreamGuard, type GatewayGuards, type GuardNote, type InputResult } from './guarding.js';
import { SseSplitter } from './sse.js';
import { Upstream, UpstreamFailure, type UpstreamBody, type UpstreamResponse } from './upstream.js';

/** A request's texts whose keyed digests go into its audit entry. */
interface DigestedTexts {
  prompt?: string;
  response?: string;
}

/** Everything the gateway needs, built by the composition root (`palisade serve`, tests, benchmarks). */
export interface GatewayDeps {
  config: Config;
  store: Store;
  log: AuditLog;
  keys: ApiKeyIndex;
  limiter: Limiter;
  /** The secret for keyed digests of prompts and responses. */
  digestSecret: Uint8Array;
  /** Reads upstream credentials named by `apiKeyEnv`. */
  secretEnv: (name: string) => string | undefined;
  metrics?: GatewayMetrics;
  /** How often API keys are re-read from the store (revocations reach every instance within this). */
  keyRefreshMs?: number;
  /** Input and output guards (from the guard layer's registry); none when absent. */
  guards?: GatewayGuards;
}

/**
 * The listen(2) backlog `palisade serve` asks for. Node's default (511) overflowed when a thousand clients connected
 * at once while the event loop was busy: the kernel dropped their SYNs and they retried after 1 s and 3 s. The kernel
 * caps it at somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

/** The client went away mid-stream (closed its connection), or stopped reading for `gateway.clientStallMs`. */
class ClientGone extends Error {
  constructor(readonly code: 'client_gone' | 'client_stalled') {
    super(code);
  }
}

/** Adds the keyed digests of a request's texts (prompt, response) to its entry's data. */
function withDigests(secret: Uint8Array, data: Record<string, unknown>, prompt: string | undefined, response: string | undefined): Record<string, unknown> {
  if (prompt !== undefined) data.promptDigest = keyedDigest(secret, prompt);
  if (response !== undefined) data.responseDigest = keyedDigest(secret, response);
  return data;
}

/**
 * The digests of a background entry, made when its batch is written. Made here, outside the request handler, so the
 * closure holds the entry's data and two texts alone: one made in the handler keeps what the handler's scope holds
 * (the reply, among others) alive until the batch is written.
 */
function digestsLater(secret: Uint8Array, data: Record<string, unknown>, prompt: string | undefined, response: string | undefined): () => Record<string, unknown> {
  return () => withDigests(secret, data, prompt, response);
}

/** Resolves once `out` drains; rejects with ClientGone if the client closes first or takes nothing for `ms`. */
function drained(out: NodeJS.WritableStream & { destroyed: boolean }, ms: number): Promise<void> {
  if (out.destroyed) return Promise.reject(new ClientGone('client_gone'));
  return new Promise((resolve, reject) => {
    const settle = (err?: ClientGone): void => {
      clearTimeout(timer);
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new ClientGone('client_gone'));
    const timer = setTimeout(() => settle(new ClientGone('client_stalled')), ms);
    out.once('drain', onDrain);
    out.once('close', onClose);
  });
}

/** Thrown inside a stream when an output guard blocks: the stream ends with an error event. */
class GuardrailStop extends Error {
  constructor(
    readonly guard: string,
    readonly rule: string,
  ) {
    super(`blocked by ${guard}`);
  }
}

/** Largest upstream JSON response read into memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Builds the gateway app (not listening). `close()` drains in-flight requests, then releases pools and timers. */
export async function buildGateway(deps: GatewayDeps): Promise<{ app: FastifyInstance; metrics: GatewayMetrics; close: () => Promise<void> }> {
  const { config, store, log, keys, limiter } = deps;
  const metrics = deps.metrics ?? new GatewayMetrics();
  const guards: GatewayGuards = deps.guards ?? { input: [], output: [], restore: false };
  const routes = new Map<string, ModelRoute>();
  const auth = (env: string | undefined): string | undefined => {
    if (env === undefined) return undefined;
    const v = deps.secretEnv(env);
    return v === undefined || v === '' ? undefined : `Bearer ${v}`;
  };
  for (const [name, m] of Object.entries(config.models)) {
    if (m.fallback !== undefined && (m.fallback === name || config.models[m.fallback] === undefined)) {
      throw new GatewayError('GATEWAY_CONFIG_INVALID', `models.${name}.fallback: '${m.fallback}' is not another model of this config`);
    }
    if ('registry' in m) continue;
    const route: ModelRoute = { name, retries: m.retries, ...(m.fallback === undefined ? {} : { fallback: m.fallback }), primary: { upstream: new Upstream(m.upstream, auth(m.apiKeyEnv), m.timeoutMs), ...(m.model === undefined ? {} : { model: m.model }) } };
    if (m.canary !== undefined) {
      const state = await loadCanaryWeight(store, name, m.canary.weight);
      route.canary = { upstream: new Upstream(m.canary.upstream, auth(m.canary.apiKeyEnv), m.timeoutMs), ...(m.canary.model === undefined ? {} : { model: m.canary.model }), weight: state.weight, window: new CanaryWindow(m.canary.rollback) };
    }
    routes.set(name, route);
  }
  // Models that follow a registry alias get their upstreams from the versions the aliases point to.
  const links = await RegistryLinks.start(store, config.models, routes, (endpoint, m) => new Upstream(endpoint, auth(m.apiKeyEnv), m.timeoutMs));
  const anomalies = new AnomalyDetector(config.gateway.anomaly);
  /** Throttles and suspensions of keys by the anomaly policy, until a time (per instance, and in the audit log). */
  const sanctions = new Map<string, { kind: 'throttle' | 'suspend'; until: number }>();
  await keys.refresh();
  // Rollbacks recorded by any instance, and registry alias moves, reach this one at the next refresh.
  const refresh = setInterval(() => void Promise.all([keys.refresh(), links.refresh().then(() => refreshRollbacks(store, routes))]).catch(() => undefined), deps.keyRefreshMs ?? 1000);
  refresh.unref();

  const app = Fastify({ logger: false, bodyLimit: config.gateway.bodyLimitBytes, return503OnClosing: true, forceCloseConnections: 'idle' });

  const onAuditError = (): void => metrics.auditErrors.inc();
  const fail = (reply: FastifyReply, status: number, type: ErrorType, code: string, message: string): FastifyReply => reply.code(status).type('application/json').send(errorBody(type, code, message));

  app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'invalid_request_error', 'request_too_large', `the request body is over ${config.gateway.bodyLimitBytes} bytes`);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 415, 'invalid_request_error', 'unsupported_media_type', 'send the request as application/json');
    if (err.statusCode === 400) return fail(reply, 400, 'invalid_request_error', 'invalid_json', `the request body is not valid JSON: ${err.message}`);
    return fail(reply, 500, 'server_error', 'internal_error', 'the gateway failed to handle this request');
  });
  app.setNotFoundHandler((_req, reply) => fail(reply, 404, 'invalid_request_error', 'not_found', 'no such endpoint; the gateway serves /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models'));

  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.db.selectFrom('audit_state').select('size').executeTakeFirstOrThrow();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'the store cannot be reached' });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  const authenticate = (req: FastifyRequest): { key: ApiKeyRecord } | { status: 401; message: string } => {
    const h = req.headers.authorization;
    const presented = typeof h === 'string' && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '').trim() : undefined;
    const r = keys.authenticate(presented);
    if (r.ok) return { key: r.key };
    const why = { missing: 'no API key: send Authorization: Bearer pk_…', malformed: 'the API key is malformed', unknown: 'the API key is not valid', revoked: 'the API key was revoked', expired: 'the API key has expired' }[r.reason];
    return { status: 401, message: why };
  };

  app.get('/v1/models', (req, reply) => {
    const a = authenticate(req);
    if ('status' in a) return fail(reply, 401, 'authentication_error', 'invalid_api_key', a.message);
    return { object: 'list', data: [...routes.keys()].filter((m) => a.key.models.includes(m)).map((id) => ({ id, object: 'model', owned_by: 'palisade' })) };
  });

  const handle = (endpoint: Endpoint) => async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const started = performance.now();
    const entry: Record<string, unknown> = { endpoint };
    let actor = `anon:${req.ip}`;
    let subject = 'model:-';
    let route: Route = 'primary';
    // Set once the key and model are known; the anomaly detector sees only requests that got that far.
    const observed: { request?: { keyId: string; model: string; prompt: string } } = {};
    // The texts whose keyed digests the entry carries. In the background mode the digests are made with the entry, in
    // its batch, where they run hot: one at a time, between requests, two HMACs cost tens of microseconds.
    const digested: DigestedTexts = {};
    // `entry` is complete when finish runs and becomes the entry's data itself, not a copy: nothing writes to it
    // afterwards. A second finish (the request failed after its first entry could not be recorded) records a copy.
    let finished = false;
    const finish = async (status: number, error?: string, blocked = false): Promise<void> => {
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      if (observed.request !== undefined) observe(observed.request.keyId, observed.request.model, observed.request.prompt, blocked);
      metrics.request(subject.slice('model:'.length), route, status, latencyMs / 1000);
      const data = finished ? { ...entry } : entry;
      finished = true;
      if (error !== undefined) data.error = error;
      if (blocked) data.blocked = true;
      data.route = route;
      data.status = status;
      data.latencyMs = latencyMs;
      if (config.gateway.audit === 'required') await log.record({ type: 'gateway.request', actor, subject, data: withDigests(deps.digestSecret, data, digested.prompt, digested.response) });
      else log.recordInBackground({ type: 'gateway.request', actor, subject, data: digestsLater(deps.digestSecret, data, digested.prompt, digested.response) }, onAuditError);
    };
    const refuse = async (status: number, type: ErrorType, code: string, message: string): Promise<void> => {
      await finish(status, code);
      if (status === 429) reply.header('retry-after', String(entry.retryAfter));
      fail(reply, status, type, code, message);
    };

    const a = authenticate(req);
    if ('status' in a) return refuse(401, 'authentication_error', 'invalid_api_key', a.message);
    const key = a.key;
    actor = `apikey:${key.id}`;
    const body = req.body as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return refuse(400, 'invalid_request_error', 'invalid_request', 'the request body must be a JSON object');
    const model = body.model;
    if (typeof model !== 'string' || model === '') return refuse(400, 'invalid_request_error', 'model_required', 'the request names no model');
    const target = routes.get(model);
    if (target === undefined) return refuse(404, 'invalid_request_error', 'model_not_found', `the gateway serves no model '${model.slice(0, 128)}'`);
    subject = `model:${model}`;
    if (!key.models.includes(model)) return refuse(403, 'permission_error', 'model_not_allowed', `this API key may not call '${model}'`);
    const primary = target.primary;
    if (primary === undefined) return refuse(503, 'server_error', 'model_unavailable', target.unavailable ?? `model '${model}' has no upstream`);
    const sanction = sanctions.get(key.id);
    if (sanction !== undefined && sanction.until <= Date.now()) sanctions.delete(key.id);
    if (sanction?.kind === 'suspend' && sanction.until > Date.now()) return refuse(403, 'permission_error', 'key_suspended', `this API key is suspended until ${new Date(sanction.until).toISOString()} after anomalous traffic`);
    const stream = body.stream === true && endpoint !== 'embeddings';
    entry.stream = stream;

    const texts = requestTexts(endpoint, body);
    const promptText = texts.map((t) => t.text).join('\n');
    observed.request = { keyId: key.id, model, prompt: promptText };
    // With raw text kept, the prompt is stored now (under its digest); otherwise only its digest goes in the entry.
    if (config.audit.rawText) entry.promptDigest = await recordText(store, deps.digestSecret, promptText, true);
    else digested.prompt = promptText;

    const checks: LimitCheck[] = [];
    const perKey = { rpm: key.rpm ?? config.limits.default?.rpm, tpm: key.tpm ?? config.limits.default?.tpm };
    if (perKey.rpm !== undefined || perKey.tpm !== undefined) checks.push({ scope: `key:${key.id}`, ...(perKey.rpm === undefined ? {} : { rpm: perKey.rpm }), ...(perKey.tpm === undefined ? {} : { tpm: perKey.tpm }) });
    const perModel = config.limits.models[model];
    if (perModel !== undefined) checks.push({ scope: `model:${model}`, ...perModel });
    if (sanctions.get(key.id)?.kind === 'throttle') checks.push({ scope: `throttle:${key.id}`, rpm: config.gateway.anomaly.throttleRpm });
    let settle: Settle = () => Promise.resolve();
    if (checks.length > 0) {
      let r;
      try {
        r = await limiter.reserve(checks, reserveEstimate(endpoint, body, promptText.length));
      } catch {
        if (config.limits.onRedisFailure === 'closed') return refuse(503, 'server_error', 'rate_limiter_unavailable', 'the rate limiter cannot be reached; try again shortly');
        r = undefined;
      }
      if (r !== undefined && !r.ok) {
        metrics.rateLimited.inc({ kind: r.kind });
        entry.retryAfter = r.retryAfterSeconds;
        return refuse(429, 'rate_limit_error', 'rate_limit_exceeded', `${r.kind === 'rpm' ? 'requests' : 'tokens'} per minute exceeded for ${r.scope.startsWith('key:') ? 'this API key' : `model ${model}`}; retry after ${r.retryAfterSeconds} s`);
      }
      if (r !== undefined) settle = r.release;
    }

    const notes: GuardNote[] = [];
    let input: InputResult = { notes, restore: {}, canaries: [] };
    if (guards.input.length > 0 || guards.output.length > 0) {
      input = guardInput(endpoint, body, guards);
      notes.push(...input.notes);
      if (notes.length > 0) entry.guards = notes;
      if (input.blocked !== undefined) {
        const b = input.blocked;
        metrics.guardBlocks.inc({ guard: b.guard, stage: 'input' });
        await settle(0).catch(() => undefined);
        await finish(400, 'guardrail_blocked', true);
        fail(reply, 400, 'invalid_request_error', 'guardrail_blocked', `the request was blocked by the ${b.guard} guard (rule ${b.rule}) in ${b.where}`);
        return;
      }
    }
    const guardOutput = guards.output.length > 0 || (guards.restore && Object.keys(input.restore).length > 0);

    route = target.canary !== undefined && target.canary.weight > 0 && canaryBucket(key.id, model) < target.canary.weight ? 'canary' : 'primary';
    // The route's current side: an alias may have moved while the request waited on limits and guards.
    const side = route === 'canary' ? target.canary! : (target.primary ?? primary);
    // The canary this request went to is the one judged, even if its alias moved meanwhile.
    const judged = route === 'canary' ? target.canary! : undefined;
    if (side.version !== undefined) entry.version = side.version;
    const forwarded = JSON.stringify(side.model === undefined ? body : { ...body, model: side.model });
    const path = endpoint === 'chat' ? '/chat/completions' : endpoint === 'completions' ? '/completions' : '/embeddings';
    const outcome = { failed: false, blocked: false };
    try {
      let res;
      try {
        res = await postWithRetries(side.upstream, path, forwarded, target.retries);
      } catch (err) {
        const fb = target.fallback === undefined ? undefined : routes.get(target.fallback);
        if (fb?.primary === undefined) throw err;
        entry.fallback = fb.name;
        if (fb.primary.version !== undefined) entry.version = fb.primary.version;
        res = await postWithRetries(fb.primary.upstream, path, JSON.stringify({ ...body, model: fb.primary.model ?? fb.name }), fb.retries);
      }
      if (stream && res.status === 200 && res.contentType.startsWith('text/event-stream')) {
        const usage = await pipeStream(reply, res.body, entry, digested, guardOutput ? { input, notes } : undefined);
        await settleUsage(settle, usage, promptText.length, entry, model);
        if (notes.length > 0) entry.guards = notes;
        outcome.blocked = entry.error === 'guardrail_blocked';
        await finish(200, undefined, outcome.blocked);
        return;
      }
      const raw = await res.body.readAll(MAX_RESPONSE_BYTES);
      if (res.status >= 500) throw new UpstreamFailure(502, 'upstream_error', `the model server answered HTTP ${res.status}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new UpstreamFailure(502, 'upstream_bad_response', 'the model server sent a response that is not JSON');
      }
      let payload: Buffer | string = raw;
      if (res.status === 200) {
        digested.response = responseText(parsed);
        await settleUsage(settle, usageOf(parsed), promptText.length, entry, model);
        if (guardOutput && endpoint !== 'embeddings') {
          const blocked = guardChoices(parsed, input, notes);
          if (blocked !== undefined) {
            outcome.blocked = true;
            metrics.guardBlocks.inc({ guard: blocked.guard, stage: 'output' });
          }
          if (notes.length > 0) entry.guards = notes;
          payload = JSON.stringify(parsed);
        }
      } else await settle(0);
      await finish(res.status, undefined, outcome.blocked);
      reply.code(res.status).type('application/json').send(payload);
    } catch (err) {
      await settle(0).catch(() => undefined);
      const f = UpstreamFailure.from(err);
      outcome.failed = true;
      metrics.upstreamErrors.inc({ model, code: f.code });
      if (reply.raw.headersSent) {
        await finish(502, f.code);
        return;
      }
      await refuse(f.status, 'upstream_error', f.code, f.message);
    } finally {
      if (judged !== undefined) await judgeCanary(target.name, judged, outcome.failed, performance.now() - started, outcome.blocked);
    }
  };

  /**
   * POSTs with up to `retries` more attempts (50 ms, 100 ms, … apart) while the upstream cannot be reached or
   * answers 5xx; nothing has reached the client yet, so a retry is invisible to it. Timeouts are not retried: the
   * client has already waited the whole timeout once. The last 5xx is returned as an UpstreamFailure.
   */
  async function postWithRetries(upstream: Upstream, path: string, payload: string, retries: number): Promise<UpstreamResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await upstream.post(path, payload);
        if (res.status < 500) return res;
        // Read the error body to its end (bounded) so the connection goes back to the pool.
        await res.body.readAll(1 << 20).catch(() => undefined);
        if (attempt >= retries) throw new UpstreamFailure(502, 'upstream_error', `the model server answered HTTP ${res.status}`);
      } catch (err) {
        const f = UpstreamFailure.from(err);
        if (attempt >= retries || f.code === 'upstream_timeout') throw f;
      }
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }

  /** Feeds the anomaly detector; each anomaly is a metric and an audit entry, and may throttle or suspend the key. */
  function observe(keyId: string, model: string, prompt: string, blocked: boolean): void {
    const policy = config.gateway.anomaly;
    for (const a of anomalies.observe(keyId, model, { at: Date.now(), blocked, prompt })) {
      const onKey = a.subject.startsWith('apikey:');
      metrics.anomalies.inc({ kind: a.kind, on: onKey ? 'apikey' : 'model' });
      const action = onKey ? policy.action : 'alert';
      if (action !== 'alert') sanctions.set(keyId, { kind: action, until: Date.now() + policy.durationMinutes * 60_000 });
      log.record({ type: 'gateway.anomaly', actor: 'system:gateway', subject: a.subject, data: { kind: a.kind, detail: a.detail, action, ...(action === 'alert' ? {} : { minutes: policy.durationMinutes }) } }).catch(() => metrics.auditErrors.inc());
    }
  }

  /**
   * Applies the output guards to every choice of a non-streamed response in place: a block empties the choice and
   * sets `finish_reason: "content_filter"` (the guard is named in `palisade_guardrail`); a redaction replaces only
   * the matched text; placeholders of redacted input are restored when configured. Returns the first block.
   */
  function guardChoices(parsed: unknown, input: InputResult, notes: GuardNote[]): { guard: string; rule: string } | undefined {
    const choices = (parsed as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) return undefined;
    let first: { guard: string; rule: string } | undefined;
    for (const c of choices as { message?: { content?: unknown }; text?: unknown; finish_reason?: unknown }[]) {
      const holder: Record<string, unknown> | undefined = typeof c?.message?.content === 'string' ? c.message : typeof c?.text === 'string' ? (c as Record<string, unknown>) : undefined;
      if (holder === undefined) continue;
      const key = holder === c ? 'text' : 'content';
      const r = guardOutputText(holder[key] as string, guards, input, notes);
      holder[key] = r.text;
      if (r.blocked !== undefined) {
        c.finish_reason = 'content_filter';
        first ??= { guard: r.blocked.guard, rule: r.blocked.rule };
      }
    }
    if (first !== undefined) (parsed as Record<string, unknown>).palisade_guardrail = { ...first, stage: 'output' };
    return first;
  }

  /**
   * Streams upstream SSE to the client as it arrives; ends with an error event if the upstream stops midway. With
   * output guards, each choice's text goes through a StreamGuard: only a tail that could still begin a match is held
   * back, and a block ends the stream with a `guardrail_blocked` error event and `[DONE]`.
   */
  async function pipeStream(reply: FastifyReply, body: UpstreamBody, entry: Record<string, unknown>, digested: DigestedTexts, guarding?: { input: InputResult; notes: GuardNote[] }): Promise<Usage | undefined> {
    reply.hijack();
    const out = reply.raw;
    // A client that disconnects mid-stream stops the upstream request at once, not when the model has finished.
    let gone = false;
    const onClientClose = (): void => {
      if (out.writableFinished) return;
      gone = true;
      body.destroy();
    };
    out.once('close', onClientClose);
    // The head is set, not written: a stream that has wholly arrived by its first write (common under load) goes out
    // in one write with a Content-Length, without chunked framing; any other is sent chunked from its first write.
    out.statusCode = 200;
    out.setHeader('content-type', 'text/event-stream; charset=utf-8');
    out.setHeader('cache-control', 'no-cache');
    out.setHeader('connection', 'keep-alive');
    const sse = new SseSplitter();
    const streams = new Map<number, StreamGuard>();
    // With output guards, the events of one upstream read, scanned together before any of them goes out.
    const events: unknown[] = [];
    let usage: Usage | undefined;
    let text = '';
    let done = false;
    // What is ready for the client. It goes out once per batch of upstream chunks (one write, one syscall, as they
    // came in); when the upstream has already ended after [DONE], the last events and the end share one write.
    let held = '';
    try {
      for (let batch = await body.next(); batch !== null; batch = await body.next()) {
        for (const chunk of batch) {
          for (const data of sse.push(chunk)) {
            if (data === '[DONE]') {
              done = true;
              continue;
            }
            let parsed: unknown;
            try {
              parsed = JSON.parse(data);
            } catch {
              throw new UpstreamFailure(502, 'upstream_bad_response', 'the model server sent a stream event that is not JSON');
            }
            text += deltaText(parsed);
            usage = usageOf(parsed) ?? usage;
            if (guarding === undefined) held += `data: ${data}\n\n`;
            else events.push(parsed);
          }
        }
        if (events.length > 0) {
          const blocked = guardEvents(events, streams, guarding!);
          // Written from what the guards read, never the upstream's own bytes, even when no text changed: a duplicate
          // key in an event could otherwise show a client's parser a text the guards never saw. Before a block, the
          // events carry only the clean text that preceded it.
          for (const e of events) held += `data: ${JSON.stringify(e)}\n\n`;
          events.length = 0;
          if (blocked !== undefined) {
            metrics.guardBlocks.inc({ guard: blocked.guard, stage: 'output' });
            body.destroy();
            throw new GuardrailStop(blocked.guard, blocked.rule);
          }
        }
        if (held !== '' && !(done && body.finished)) {
          const ok = out.write(held);
          held = '';
          if (!ok) await drained(out, config.gateway.clientStallMs);
        }
      }
      if (!done) throw new UpstreamFailure(502, 'upstream_error', 'the model server ended the stream before [DONE]');
      // Text still held back for choices that never sent a finish_reason: scanned once more, then sent.
      for (const [index, sg] of streams) {
        const r = sg.end();
        if (r.emit !== '') held += `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index, delta: { content: r.emit }, finish_reason: null }] })}\n\n`;
        if (r.blocked !== undefined) throw new GuardrailStop(r.blocked.guard, r.blocked.rule);
      }
    } catch (err) {
      if (gone || err instanceof ClientGone) {
        // Nobody is left to tell: stop the upstream, drop the connection, and record why the stream ended.
        entry.error = err instanceof ClientGone ? err.code : 'client_gone';
        body.destroy();
        out.destroy();
      } else if (err instanceof GuardrailStop) {
        entry.error = 'guardrail_blocked';
        held += `data: ${JSON.stringify(errorBody('invalid_request_error', 'guardrail_blocked', `the response was blocked by the ${err.guard} guard (rule ${err.rule})`))}\n\n`;
      } else {
        const f = UpstreamFailure.from(err);
        entry.error = f.code;
        held += `data: ${JSON.stringify(errorBody('upstream_error', f.code, f.message))}\n\n`;
      }
    } finally {
      out.off('close', onClientClose);
      digested.response = text;
      if (!out.destroyed) out.end(`${held}data: [DONE]\n\n`);
    }
    if (entry.error === 'client_gone' || entry.error === 'client_stalled') return usage;
    if (entry.error !== undefined && entry.error !== 'guardrail_blocked') throw new UpstreamFailure(502, entry.error as UpstreamFailure['code'], 'stream failed');
    return usage;
  }

  /**
   * Runs the text deltas of one upstream read's events through each choice's StreamGuard, scanned once per read
   * rather than once per event (a read under load carries many events, and each scan re-reads the guard's lookback).
   * What may go out now is written into the last event of the read that carries the choice; the choice's text in the
   * events before it is emptied. Returns the finding that ends the stream, if any.
   */
  function guardEvents(events: unknown[], streams: Map<number, StreamGuard>, guarding: { input: InputResult; notes: GuardNote[] }): { guard: string; rule: string } | undefined {
    type Choice = { index?: unknown; delta?: { content?: unknown } | null; text?: unknown; finish_reason?: unknown };
    // Per choice index: the last event's choice that carries it, whether its text field was a string, whether it finished.
    const last = new Map<number, { c: Choice; wasText: boolean; finished: boolean }>();
    for (const parsed of events) {
      const choices = (parsed as { choices?: unknown } | null)?.choices;
      if (!Array.isArray(choices)) continue;
      for (const c of choices as Choice[]) {
        if (c === null || typeof c !== 'object') continue;
        const index = typeof c.index === 'number' ? c.index : 0;
        let sg = streams.get(index);
        if (sg === undefined) streams.set(index, (sg = new StreamGuard(guards, guarding.input, guarding.notes)));
        const chat = c.delta !== undefined && c.delta !== null;
        const given = chat ? c.delta!.content : c.text;
        const wasText = typeof given === 'string';
        if (wasText) {
          sg.append(given);
          if (chat) c.delta!.content = '';
          else c.text = '';
        }
        const before = last.get(index);
        last.set(index, { c, wasText, finished: (before?.finished ?? false) || (c.finish_reason !== null && c.finish_reason !== undefined) });
      }
    }
    let blocked: { guard: string; rule: string } | undefined;
    for (const [index, { c, wasText, finished }] of last) {
      const sg = streams.get(index)!;
      const r = finished ? sg.end() : sg.scan();
      blocked ??= r.blocked;
      if (!wasText && r.emit === '') continue;
      if (c.delta !== undefined && c.delta !== null) c.delta.content = r.emit;
      else c.text = r.emit;
    }
    return blocked;
  }

  async function settleUsage(settle: Settle, usage: Usage | undefined, promptChars: number, entry: Record<string, unknown>, model: string): Promise<void> {
    const u = usage ?? { prompt: Math.ceil(promptChars / 4), completion: 0 };
    entry.promptTokens = u.prompt;
    entry.completionTokens = u.completion;
    metrics.tokensUsed(model, u.prompt, u.completion);
    await settle(u.prompt + u.completion).catch(() => undefined);
  }

  async function judgeCanary(model: string, c: NonNullable<ModelRoute['canary']>, failed: boolean, latencyMs: number, blocked: boolean): Promise<void> {
    if (c.weight === 0) return;
    c.window.add({ at: Date.now(), failed, latencyMs, blocked });
    const why = c.window.breach();
    if (why === undefined) return;
    c.weight = 0;
    if (await recordRollback(store, model, why, new Date(), c.version)) {
      metrics.rollbacks.inc({ model });
      await log.record({ type: 'gateway.canary_rolled_back', actor: 'system:gateway', subject: `model:${model}`, data: { reason: why, ...(c.version === undefined ? {} : { version: c.version }) } }).catch(() => metrics.auditErrors.inc());
    }
  }

  app.post('/v1/chat/completions', handle('chat'));
  app.post('/v1/completions', handle('completions'));
  app.post('/v1/embeddings', handle('embeddings'));

  return {
    app,
    metrics,
    close: async () => {
      clearInterval(refresh);
      // Requests in flight finish; their keep-alive connections are closed as soon as they go idle (Node closes only
      // the connections idle at the moment close() is called, and Fastify keeps the rest for 72 s).
      const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await Promise.all([...routes.values()].flatMap((r) => (r.linked === true ? [] : [r.primary?.upstream.close(), r.canary?.upstream.close()])));
      await links.close();
      await limiter.close();
      await log.flush();
    },
  };
}
