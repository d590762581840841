import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, on their own registry (never the global one, so tests and instances don't mix). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'palisade_gateway_requests_total', help: 'Requests by model, route (primary|canary) and HTTP status', labelNames: ['model', 'route', 'status'] as const, registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'palisade_gateway_request_duration_seconds',
    help: 'Time from request to the last byte of the response',
    labelNames: ['model', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly tokens = new Counter({ name: 'palisade_gateway_tokens_total', help: 'Tokens by model and kind (prompt|completion)', labelNames: ['model', 'kind'] as const, registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'palisade_gateway_rate_limited_total', help: 'Requests refused by a limit, by limit kind (rpm|tpm)', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly guardBlocks = new Counter({ name: 'palisade_gateway_guard_blocks_total', help: 'Requests or responses blocked by a guard', labelNames: ['guard', 'stage'] as const, registers: [this.registry] });
  readonly rollbacks = new Counter({ name: 'palisade_gateway_canary_rollbacks_total', help: 'Automatic canary rollbacks by model', labelNames: ['model'] as const, registers: [this.registry] });
  readonly upstreamErrors = new Counter({ name: 'palisade_gateway_upstream_errors_total', help: 'Upstream failures by model and code', labelNames: ['model', 'code'] as const, registers: [this.registry] });
  readonly anomalies = new Counter({ name: 'palisade_gateway_anomalies_total', help: 'Traffic anomalies by kind (volume_spike|guard_block_burst|extraction_sweep) and subject kind (apikey|model)', labelNames: ['kind', 'on'] as const, registers: [this.registry] });
  readonly auditErrors = new Counter({ name: 'palisade_gateway_audit_errors_total', help: 'Request entries the audit log failed to record', registers: [this.registry] });

  /** Label children bound once per label set: a labelled `inc`/`observe` hashes its labels on every call. */
  private readonly perRequest = new Map<string, { count: Counter.Internal; latency: Histogram.Internal<'model' | 'route'> }>();
  private readonly perModel = new Map<string, { prompt: Counter.Internal; completion: Counter.Internal }>();

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'palisade_' });
  }

  /** Counts one answered request and observes its duration. */
  request(model: string, route: string, status: number, seconds: number): void {
    const k = `${model}\0${route}\0${status}`;
    let m = this.perRequest.get(k);
    if (m === undefined) this.perRequest.set(k, (m = { count: this.requests.labels({ model, route, status: String(status) }), latency: this.latency.labels({ model, route }) }));
    m.count.inc();
    m.latency.observe(seconds);
  }

  /** Adds a request's prompt and completion tokens. */
  tokensUsed(model: string, prompt: number, completion: number): void {
    let m = this.perModel.get(model);
    if (m === undefined) this.perModel.set(model, (m = { prompt: this.tokens.labels({ model, kind: 'prompt' }), completion: this.tokens.labels({ model, kind: 'completion' }) }));
    m.prompt.inc(prompt);
    m.completion.inc(completion);
  }
}
