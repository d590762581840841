import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RegistryEvent } from './deps.js';

/** A configured receiver with its secret resolved (`whsec_` + base64, as Standard Webhooks writes it). */
export interface WebhookTarget {
  url: string;
  secret: string;
  /** Event types sent; empty: all. */
  events: readonly string[];
}

export interface DeliveryOptions {
  attempts: number;
  /** The first retry's delay; doubled for each further retry. */
  backoffMs: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface Delivery {
  url: string;
  id: string;
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

const secretBytes = (secret: string): Buffer => Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');

/** Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the decoded secret. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * Checks a delivery as a receiver would: a signature among the space-separated `v1,` ones matches (compared in
 * constant time) and the timestamp is within `toleranceS` of now (replays of old deliveries fail).
 */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string, now: Date, toleranceS = 300): boolean {
  const id = headers['webhook-id'];
  const ts = Number(headers['webhook-timestamp']);
  const sigs = headers['webhook-signature'];
  if (id === undefined || sigs === undefined || !Number.isSafeInteger(ts) || Math.abs(now.getTime() / 1000 - ts) > toleranceS) return false;
  const want = Buffer.from(signWebhook(secret, id, ts, body));
  return sigs.split(' ').some((s) => {
    const got = Buffer.from(s);
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

/**
 * Sends one event to one receiver: POST of `{ type, timestamp, data }` with webhook-id, webhook-timestamp and
 * webhook-signature headers; retried on network errors and non-2xx answers with exponential backoff. Every
 * attempt of one event keeps its id, so receivers can drop duplicates.
 */
export async function deliver(target: WebhookTarget, event: RegistryEvent, o: DeliveryOptions): Promise<Delivery> {
  const now = o.now ?? ((): Date => new Date());
  const sleep = o.sleep ?? ((ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms)));
  const id = `msg_${randomBytes(16).toString('hex')}`;
  const body = JSON.stringify({ type: event.type, timestamp: now().toISOString(), data: { actor: event.actor, subject: event.subject, ...event.data } });
  let last: Delivery = { url: target.url, id, ok: false, attempts: 0 };
  for (let i = 0; i < o.attempts; i++) {
    if (i > 0) await sleep(o.backoffMs * 2 ** (i - 1));
    const ts = Math.floor(now().getTime() / 1000);
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(target.secret, id, ts, body) },
        body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      last = { url: target.url, id, ok: res.ok, attempts: i + 1, status: res.status };
      if (res.ok) return last;
    } catch (err) {
      last = { url: target.url, id, ok: false, attempts: i + 1, error: (err as Error).message };
    }
  }
  return last;
}

/**
 * A notifier for the registry: sends each event to the receivers that want it. Failed deliveries are reported to
 * `onFailure` (the CLI records them in the audit log and warns); they never undo the action.
 */
export function webhookNotifier(targets: readonly WebhookTarget[], o: DeliveryOptions, onFailure: (d: Delivery, event: RegistryEvent) => Promise<void>): (event: RegistryEvent) => Promise<void> {
  return async (event) => {
    const wanted = targets.filter((t) => t.events.length === 0 || t.events.includes(event.type));
    const results = await Promise.all(wanted.map((t) => deliver(t, event, o)));
    for (const d of results) if (!d.ok) await onFailure(d, event);
  };
}
