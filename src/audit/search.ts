import { sql } from 'kysely';
import type { Store } from '../store/index.js';

export interface EntryView {
  index: number;
  type: string;
  actor: string;
  subject: string;
  time: string;
  data: unknown;
}

export interface SearchFilter {
  type?: string;
  actor?: string;
  subject?: string;
  /** RFC 3339 time; entries at or after it. */
  since?: string;
  /** Leave out entries whose type starts with this, e.g. `gateway.` (request entries share a model's subject). */
  skipTypePrefix?: string;
  /** Newest first, at most this many. */
  limit?: number;
}

/** Entries matching every given field, newest first: for people investigating an incident. */
export async function searchEntries(store: Store, f: SearchFilter): Promise<EntryView[]> {
  let q = store.db.selectFrom('audit_entries').select(['idx', 'entry']);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.subject !== undefined) q = q.where('subject', '=', f.subject);
  if (f.since !== undefined) q = q.where('time', '>=', new Date(f.since).toISOString());
  // substr, not LIKE: event types contain `_`, a LIKE wildcard.
  if (f.skipTypePrefix !== undefined) q = q.where(sql<string>`substr(type, 1, ${f.skipTypePrefix.length})`, '!=', f.skipTypePrefix);
  const rows = await q.orderBy('idx', 'desc').limit(Math.min(Math.max(1, f.limit ?? 20), 10_000)).execute();
  return rows.map(viewOf);
}

function viewOf(r: { idx: number | bigint | string; entry: Uint8Array }): EntryView {
  const e = JSON.parse(Buffer.from(r.entry).toString('utf8')) as Omit<EntryView, 'index'>;
  return { index: Number(r.idx), type: e.type, actor: e.actor, subject: e.subject, time: e.time, data: e.data };
}

/**
 * The newest entry of `type` that `match` accepts, reading newest first a page at a time (the type is indexed), or
 * undefined when none does. For gates that need "the most recent record of X".
 */
export async function latestEntry(store: Store, type: string, match: (e: EntryView) => boolean, pageSize = 500): Promise<EntryView | undefined> {
  let before: number | undefined;
  for (;;) {
    let q = store.db.selectFrom('audit_entries').select(['idx', 'entry']).where('type', '=', type);
    if (before !== undefined) q = q.where('idx', '<', before);
    const rows = await q.orderBy('idx', 'desc').limit(pageSize).execute();
    for (const r of rows) {
      const view = viewOf(r);
      if (match(view)) return view;
    }
    if (rows.length < pageSize) return undefined;
    before = Number(rows[rows.length - 1]!.idx);
  }
}
