import { hmacSha256Hex } from '../core/digest.js';
import type { Store } from '../store/index.js';

/**
 * What the log holds of user content (prompts, completions): an HMAC-SHA-256 with the home's secret. A plain
 * SHA-256 of a short prompt can be found by guessing; a keyed digest cannot without the secret, yet the same text
 * still yields the same digest, so entries can be matched. Prefixed so a reader knows how it was made.
 */
export function keyedDigest(secret: Uint8Array, text: string): string {
  return `hmac-sha256:${hmacSha256Hex(secret, text)}`;
}

/**
 * Keeps raw text beside the log, when the config allows it, under its keyed digest. The log entry holds only the
 * digest, so purging the text (retention) never breaks the log's hashes.
 */
export async function keepRawText(store: Store, secret: Uint8Array, text: string, now: Date = new Date()): Promise<string> {
  const digest = keyedDigest(secret, text);
  await store.db
    .insertInto('audit_raw')
    .values({ digest, text, created_at: now.toISOString() })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  return digest;
}

/** Deletes raw text kept before `before`; returns how many were purged. The log is untouched. */
export async function purgeRawText(store: Store, before: Date): Promise<number> {
  const r = await store.db.deleteFrom('audit_raw').where('created_at', '<', before.toISOString()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The raw text behind a digest, while it is kept. */
export async function rawText(store: Store, digest: string): Promise<string | undefined> {
  return (await store.db.selectFrom('audit_raw').select('text').where('digest', '=', digest).executeTakeFirst())?.text;
}

/**
 * What an event records of user text under the config's `audit.rawText` policy: always the keyed digest, with the
 * raw text kept aside (purgeable) only when the policy allows it.
 */
export async function recordText(store: Store, secret: Uint8Array, text: string, keepRaw: boolean): Promise<string> {
  return keepRaw ? keepRawText(store, secret, text) : keyedDigest(secret, text);
}
