import { z } from 'zod';

/**
 * The one config schema (`<home>/config.yaml`, `--config FILE`, `$PALISADE_CONFIG`). Objects are strict: an unknown
 * key is an error naming the key and its line. Later layers add their sections here.
 */
export const ScanConfigSchema = z
  .strictObject({
    /** Extra globals a pickle may import: `module.name`, or `module.*` for every plain name of a module. */
    allow: z.array(z.string().regex(/^[A-Za-z_][\w.]*(\.\*)?$/, 'expected module.name or module.*')).default([]),
    /** Verdict at or above which `palisade scan` exits 1. */
    failOn: z.enum(['unsafe', 'suspicious']).default('suspicious'),
    /** A suppressions file (accepted findings by file digest and rule), relative to the config file. */
    suppressions: z.string().optional(),
    /** Worker threads for folders of many files; default one per core. */
    workers: z.number().int().min(1).max(256).optional(),
  })
  .default({ allow: [], failOn: 'suspicious' });

export const StoreConfigSchema = z
  .strictObject({
    /** `postgres://user@host:5432/db`, or a SQLite file path; unset: `<home>/palisade.db`. */
    url: z.string().min(1).optional(),
  })
  .default({});

export const AuditConfigSchema = z
  .strictObject({
    /**
     * Whether raw user text (prompts, completions) is kept beside the log. Off: the log holds keyed digests only.
     * On: the raw text sits in a side table under its digest, purgeable without touching the log.
     */
    rawText: z.boolean().default(false),
    /** Days raw text is kept; `palisade audit purge` deletes what is older. */
    retentionDays: z.number().int().min(1).max(36_500).default(30),
  })
  .default({ rawText: false, retentionDays: 30 });

const HttpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'expected an http:// or https:// URL');
const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** An OpenAI-compatible server the gateway forwards to. */
const UpstreamFields = {
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:18080/v1`. */
  upstream: HttpUrl,
  /** The model name the upstream knows, when it differs from the gateway's name for it. */
  model: z.string().min(1).max(256).optional(),
  /** Environment variable holding the upstream's API key (sent as a bearer token; never the client's key). */
  apiKeyEnv: EnvName.optional(),
};

export const RollbackSchema = z
  .strictObject({
    /** Roll back when the canary's share of failed requests (5xx, timeouts) in the window exceeds this. */
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    /** Requests the canary must have served in the window before its rates are judged. */
    minRequests: z.number().int().min(1).default(50),
    /** Roll back when the canary's p95 latency in the window exceeds this. */
    maxLatencyMs: z.number().positive().optional(),
    /** Roll back when the canary's share of guard-blocked responses exceeds this. */
    maxGuardBlockRate: z.number().min(0).max(1).optional(),
    /** The sliding window the rates are computed over. */
    windowSeconds: z.number().int().min(10).max(86_400).default(300),
  })
  .default({ maxErrorRate: 0.05, minRequests: 50, windowSeconds: 300 });

/** What every gateway model has, wherever its upstream comes from. */
const RouteFields = {
  /** Per-request upstream timeout. */
  timeoutMs: z.number().int().min(100).max(600_000).default(60_000),
  /** Retries when the upstream cannot be reached or answers 5xx (before anything was sent to the client). */
  retries: z.number().int().min(0).max(5).default(0),
  /** Another model of this config to serve the request when this one's upstream fails after its retries. */
  fallback: z.string().min(1).optional(),
};

/** A gateway model with a fixed upstream (and optionally a fixed canary upstream). */
export const ModelRouteSchema = z.strictObject({
  ...UpstreamFields,
  ...RouteFields,
  /** A second upstream that serves `weight` percent of API keys, rolled back automatically by `rollback`. */
  canary: z.strictObject({ ...UpstreamFields, weight: z.number().int().min(0).max(100), rollback: RollbackSchema }).optional(),
});

const REGISTRY_NAME = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'expected a registered model name (lowercase letters, digits, . _ -)');
const REGISTRY_ALIAS = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected an alias such as production (lowercase letters, digits, -)');

/**
 * A gateway model that follows a registry alias: served at the endpoint registered for the version `alias` points
 * to, and (with `canaryAlias`) `weight` percent of API keys at the version that alias points to. Every gateway
 * instance follows alias moves (promote, rollback, incidents) within about a second, without a restart.
 */
export const RegistryModelRouteSchema = z
  .strictObject({
    /** The registered model's name (`palisade model register --name`). */
    registry: REGISTRY_NAME,
    alias: REGISTRY_ALIAS.default('production'),
    /** An alias whose version serves `weight` percent of API keys, rolled back automatically by `rollback`. */
    canaryAlias: REGISTRY_ALIAS.optional(),
    /** Percent of API keys sent to the canary alias's version (default 10 when a canaryAlias is given). */
    weight: z.number().int().min(0).max(100).optional(),
    rollback: RollbackSchema,
    /** The model name the endpoint knows, when it differs from the gateway's name for it. */
    model: UpstreamFields.model,
    /** Environment variable holding the endpoints' API key (sent as a bearer token; never the client's key). */
    apiKeyEnv: UpstreamFields.apiKeyEnv,
    ...RouteFields,
  })
  .superRefine((m, ctx) => {
    if (m.weight !== undefined && m.canaryAlias === undefined) ctx.addIssue({ code: 'custom', path: ['weight'], message: 'weight is the canary share: it needs a canaryAlias' });
    if (m.canaryAlias !== undefined && m.canaryAlias === m.alias) ctx.addIssue({ code: 'custom', path: ['canaryAlias'], message: `the canary alias must differ from alias '${m.alias}'` });
  });

/** A gateway model: a fixed `upstream`, or a `registry` model followed through an alias. */
export const GatewayModelSchema = z.union([ModelRouteSchema, RegistryModelRouteSchema], {
  error: 'a model needs either upstream: URL (a fixed server) or registry: NAME with alias: (a registered model), not both',
});

const LimitSchema = z.strictObject({
  /** Requests per minute. */
  rpm: z.number().int().min(1).optional(),
  /** Tokens (prompt + completion) per minute. */
  tpm: z.number().int().min(1).optional(),
});

export const LimitsConfigSchema = z
  .strictObject({
    /** Limits for every key and model unless a key or model says otherwise. */
    default: LimitSchema.optional(),
    /** Per-model limits (across all keys). */
    models: z.record(z.string(), LimitSchema).default({}),
    /** Share limits across gateway instances through Redis, e.g. redis://127.0.0.1:6379. Unset: in memory. */
    redis: z.string().regex(/^rediss?:\/\/\S+$/, 'expected redis://host:port').optional(),
    /** When Redis cannot be reached: refuse requests (closed, the default) or let them through unlimited (open). */
    onRedisFailure: z.enum(['closed', 'open']).default('closed'),
  })
  .default({ models: {}, onRedisFailure: 'closed' });

export const AnomalyConfigSchema = z
  .strictObject({
    /** What an anomaly on an API key does besides an alert (metric and audit entry): nothing more, throttle, suspend. */
    action: z.enum(['alert', 'throttle', 'suspend']).default('alert'),
    /** Requests per minute a throttled key gets. */
    throttleRpm: z.number().int().min(1).default(10),
    /** How long a throttle or suspension lasts. */
    durationMinutes: z.number().int().min(1).max(10_080).default(15),
    /** Minutes of a key's or model's own history before volume spikes are judged. */
    warmupMinutes: z.number().int().min(1).default(10),
    /** A minute with more than this many times the baseline is a spike... */
    spikeFactor: z.number().min(1).default(5),
    /** ...if it has at least this many requests. */
    minSpikeRequests: z.number().int().min(1).default(30),
    /** A minute with at least this many guard blocks... */
    minBlocks: z.number().int().min(1).default(5),
    /** ...making up at least this share of its requests is a burst of blocks. */
    minBlockShare: z.number().min(0).max(1).default(0.5),
    /** Near-identical prompts from one key within this window... */
    sweepWindowSeconds: z.number().int().min(10).default(300),
    /** ...at least this many of them, is an extraction-style sweep. */
    sweepPrompts: z.number().int().min(2).default(20),
    /** Estimated word-pair Jaccard similarity at which two prompts count as near-identical. */
    sweepSimilarity: z.number().min(0.1).max(1).default(0.5),
  })
  .default({ action: 'alert', throttleRpm: 10, durationMinutes: 15, warmupMinutes: 10, spikeFactor: 5, minSpikeRequests: 30, minBlocks: 5, minBlockShare: 0.5, sweepWindowSeconds: 300, sweepPrompts: 20, sweepSimilarity: 0.5 });

export const GatewayConfigSchema = z
  .strictObject({
    /** Largest request body accepted; larger ones get HTTP 413. */
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** background: entries are written in batches, durable within ~100 ms; required: reply only once durable. */
    audit: z.enum(['background', 'required']).default('background'),
    /**
     * A streaming client that takes no data for this long while the gateway has data for it (its socket buffers are
     * full) is cut off, and the upstream request with it: a client that stops reading cannot hold an upstream
     * connection and the request's memory forever.
     */
    clientStallMs: z.number().int().min(100).max(600_000).default(30_000),
    /** Anomaly detection per key and per model, against each one's own history. */
    anomaly: AnomalyConfigSchema,
  })
  .default({ bodyLimitBytes: 1024 * 1024, audit: 'background', clientStallMs: 30_000, anomaly: AnomalyConfigSchema.parse(undefined) });

/** A receiver of registry and incident webhooks, signed as Standard Webhooks (id, timestamp, HMAC-SHA256). */
export const WebhookSchema = z.strictObject({
  url: HttpUrl,
  /** Environment variable holding the signing secret (`whsec_` + base64, as Standard Webhooks writes it). */
  secretEnv: EnvName,
  /** Event types sent (e.g. model.promoted); empty: all. */
  events: z.array(z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'expected a dotted event type such as model.promoted')).default([]),
});

/** What `palisade incident open` does, in order. */
export const PlaybookSchema = z
  .strictObject({
    /** Freeze the model: no promotion or alias move until the incident is closed. */
    freeze: z.boolean().default(true),
    /** Aliases moved back to their last known good version. */
    rollback: z.array(z.string()).default(['production']),
    /** Gateway API key ids revoked. */
    revokeKeys: z.array(z.string()).default([]),
    /** Send `incident.opened` to the webhooks. */
    notify: z.boolean().default(true),
  })
  .default({ freeze: true, rollback: ['production'], revokeKeys: [], notify: true });

const GATE_NAME = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'gate names are lowercase letters, digits and -');

/** The model registry's policy: promotion gates per alias, thresholds, approvals, protected aliases, incidents. */
export const RegistryConfigSchema = z
  .strictObject({
    /**
     * Gates run by `palisade model promote`, per target alias; `'*'` for aliases not listed. Names from the built-in
     * list (scan, signature, attestation, card, metrics, approvals) or ones a later layer registers.
     */
    gates: z.record(z.string(), z.array(GATE_NAME)).default({ production: ['scan', 'signature', 'attestation', 'card', 'metrics', 'approvals'], '*': ['scan'] }),
    /** Card metrics that must be at or above these values (metrics gate). */
    metrics: z.record(z.string(), z.number()).default({}),
    /** Approvals from distinct security reviewers, none of them the registrant (approvals gate). */
    approvals: z.number().int().min(0).max(10).default(1),
    /** Aliases no one moves by hand: only promote (through the gates) and rollback move them. */
    protectedAliases: z.array(z.string()).default(['production']),
    /**
     * With no PALISADE_TOKEN on a local home, the OS user acts as an admin (a local home is not a security
     * boundary: whoever can write its database can do anything). false: a token is required for every command.
     */
    localAdmin: z.boolean().default(true),
    webhooks: z.array(WebhookSchema).default([]),
    /** Webhook delivery: attempts in all, and the first retry's delay (doubled each time). */
    webhookAttempts: z.number().int().min(1).max(10).default(4),
    webhookBackoffMs: z.number().int().min(1).max(60_000).default(500),
    incident: PlaybookSchema,
  })
  .default({
    gates: { production: ['scan', 'signature', 'attestation', 'card', 'metrics', 'approvals'], '*': ['scan'] },
    metrics: {},
    approvals: 1,
    protectedAliases: ['production'],
    localAdmin: true,
    webhooks: [],
    webhookAttempts: 4,
    webhookBackoffMs: 500,
    incident: { freeze: true, rollback: ['production'], revokeKeys: [], notify: true },
  });
/**
 * One egress approval: clients at `host` (an IP address or CIDR) may reach `provider` (on `domains`, when given)
 * until `expires` (a date or date-time; a request made before it is covered). Other keys are ignored, so an
 * approvals file can carry owners and ticket numbers. The discover layer checks addresses and dates.
 */
export const ApprovalSchema = z.object({
  host: z.string().min(1).max(64),
  provider: z.string().min(1).max(64),
  domains: z.array(z.string().min(1).max(253)).max(1000).optional(),
  expires: z.union([z.string().max(64), z.date()]).optional(),
});

export const DiscoverConfigSchema = z
  .strictObject({
    /** Egress approvals, the same shape as an `--approved` file's `approved` list. */
    approved: z.array(ApprovalSchema).max(10_000).default([]),
  })
  .default({ approved: [] });

export const ConfigSchema = z.strictObject({
  /** Schema version of this file. */
  version: z.literal(1).default(1),
  scan: ScanConfigSchema,
  store: StoreConfigSchema,
  audit: AuditConfigSchema,
  /** Where `palisade serve` listens: host:port. */
  listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8787').default('127.0.0.1:8787'),
  /** The gateway's models, by the name clients use. */
  models: z.record(z.string().regex(/^[A-Za-z0-9][\w.:/-]{0,127}$/, 'model names are letters, digits and . _ : / -'), GatewayModelSchema).default({}),
  /** Guards the gateway runs on input and output, by name. */
  guards: z
    .strictObject({
      input: z.array(z.string()).default([]),
      output: z.array(z.string()).default([]),
      /** Per-guard settings by name: { enabled, action, threshold, onError, redact } (checked by the guard layer). */
      settings: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
      /** Put placeholders of redacted input back into responses (redact-then-restore). */
      restore: z.boolean().default(false),
    })
    .default({ input: [], output: [], settings: {}, restore: false }),
  limits: LimitsConfigSchema,
  gateway: GatewayConfigSchema,
  registry: RegistryConfigSchema,
  discover: DiscoverConfigSchema,
});

export type Config = z.infer<typeof ConfigSchema>;
export type RegistryConfig = z.infer<typeof RegistryConfigSchema>;
export type GatewayModelConfig = z.infer<typeof GatewayModelSchema>;
export type RegistryModelConfig = z.infer<typeof RegistryModelRouteSchema>;

/** The config `palisade init` writes: every default spelled out, so users see what they can change. */
export const DEFAULT_CONFIG_YAML = `# Palisade configuration. Unknown keys are errors.
version: 1
scan:
  # Globals a pickle may import beyond the built-in allowlist (module.name or module.*).
  allow: []
  # Exit 1 when a file is at least this bad: unsafe | suspicious.
  failOn: suspicious
  # suppressions: suppressions.yaml
# Where the audit log and registry live; default: palisade.db in this folder.
store: {}
#  url: postgres://palisade@127.0.0.1:5432/palisade
audit:
  # Keep raw prompts and completions beside the log (a purgeable side table)? Off: keyed digests only.
  rawText: false
  # Days raw text is kept before palisade audit purge deletes it.
  retentionDays: 30
# The model registry's policy (palisade model promote, approve, rollback, incident). Defaults:
# registry:
#   gates:                       # per target alias; '*' for the others
#     production: [scan, signature, attestation, card, metrics, approvals]
#     '*': [scan]
#     # also available: data-check (the latest palisade data check of each training dataset was clean)
#   metrics: {}                  # e.g. { accuracy: 0.9 }: card metrics at or above these
#   approvals: 1                 # security reviewers other than the registrant
#   protectedAliases: [production]
#   localAdmin: true             # no PALISADE_TOKEN on this home: the OS user acts as admin
#   webhooks: []                 # [{ url: https://…, secretEnv: PALISADE_WEBHOOK_SECRET, events: [] }]
#   incident: { freeze: true, rollback: [production], revokeKeys: [], notify: true }
`;
