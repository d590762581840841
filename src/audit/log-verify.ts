import type { Store } from '../store/index.js';
import { checkpointBody } from './log-read.js';
import { foldRight, leafHash, nodesToStore, rangeKeys, emptyRoot } from './merkle.js';
import { openNote, type NoteVerifier } from './note.js';
import { sameBytes } from './hex.js';
import { acceptRotation, ROTATION_EVENT_TYPE } from './rotation.js';

export interface VerifyResult {
  ok: boolean;
  /** Entries checked. */
  size: number;
  /** Signed checkpoints checked (plus the published one, if given). */
  checkpoints: number;
  /** The first entry that is missing, changed, reordered or inserted, when that can be told. */
  firstBadIndex?: number;
  reason?: string;
}

export interface VerifyOptions {
  origin: string;
  /** The log's first key (the one its origin names); later keys are learned from the log's rotation entries. */
  verifier: NoteVerifier;
  /** A checkpoint published earlier (held by a witness): the log must still contain exactly that history. */
  publishedCheckpoint?: string;
  /** Entries read per query. */
  pageSize?: number;
}

interface Cp {
  size: number;
  root: Uint8Array;
  note: string;
  published: boolean;
}

/**
 * Recomputes the whole log from its entries: every leaf hash, every stored subtree hash, and the root at every
 * signed checkpoint, whose signature is checked with the key in force at its size: `opts.verifier` (the log's first
 * key) until an `audit.key_rotated` entry, signed by that key, hands over to the next. Memory stays O(log n): the
 * walk keeps only the tree's right edge and pages through entries and checkpoints. The first discrepancy is reported
 * with the entry it points at; a row changed, deleted, reordered or inserted anywhere is caught, and so is a history
 * rebuilt with the key when a published checkpoint is given.
 */
export async function verifyLog(store: Store, opts: VerifyOptions): Promise<VerifyResult> {
  const page = opts.pageSize ?? 5000;
  const state = await store.db.selectFrom('audit_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
  const size = Number(state.size);
  let published: Cp | undefined;
  if (opts.publishedCheckpoint !== undefined) {
    try {
      const body = checkpointBody(opts.publishedCheckpoint, opts.origin);
      published = { size: body.size, root: body.rootHash, note: opts.publishedCheckpoint, published: true };
    } catch (err) {
      return { ok: false, size, checkpoints: 0, reason: `the published checkpoint is not a checkpoint of this log: ${(err as Error).message}` };
    }
  }
  const cps = new CheckpointCursor(store, page, published);
  let active = opts.verifier;
  const seenKeys = new Set([active.keyId]);
  let checked = 0;
  let lastStored = 0;
  const frontier = new Map<string, Uint8Array>();
  const key = (l: number, i: number): string => `${l}:${i}`;
  const fail = (index: number | undefined, reason: string): VerifyResult => ({ ok: false, size, checkpoints: checked, ...(index === undefined ? {} : { firstBadIndex: index }), reason });

  /** Checks every checkpoint of size `n` once the first `n` entries have been walked. */
  const checkCheckpointsAt = async (n: number): Promise<VerifyResult | undefined> => {
    for (let cp = await cps.peek(); cp !== undefined && cp.size <= n; cp = await cps.peek()) {
      await cps.next();
      const what = cp.published ? `the published checkpoint of size ${cp.size}` : `the checkpoint of size ${cp.size}`;
      const why = checkNote(cp, opts.origin, active);
      if (why !== undefined) return fail(undefined, `${what}: ${why}`);
      const root = n === 0 ? emptyRoot() : foldRight(rangeKeys(0, n).map((k) => frontier.get(key(k.level, k.index))!));
      if (!sameBytes(root, cp.root)) {
        return fail(lastStored, cp.published ? `the log's first ${n} entries no longer match the published checkpoint of size ${n}: history was rewritten after index ${lastStored}` : `the checkpoint of size ${n} does not match the entries: an entry at or after index ${lastStored} was changed`);
      }
      if (!cp.published) lastStored = n;
      checked++;
    }
    return undefined;
  };

  let bad = await checkCheckpointsAt(0);
  if (bad !== undefined) return bad;
  let expected = 0;
  for (let from = 0; ; from += page) {
    const rows = await store.db.selectFrom('audit_entries').select(['idx', 'leaf_hash', 'entry', 'type', 'actor', 'subject', 'time']).where('idx', '>=', from).orderBy('idx').limit(page).execute();
    if (rows.length === 0) break;
    const stored = await storedNodes(store, from, Number(rows.at(-1)!.idx) + 1);
    for (const r of rows) {
      const idx = Number(r.idx);
      if (idx !== expected) return fail(expected, idx > expected ? `entry ${expected} is missing (the next stored index is ${idx})` : `entry ${idx} appears twice`);
      if (idx >= size) return fail(idx, `entry ${idx} lies beyond the log's recorded size ${size}: a row was inserted`);
      const leaf = leafHash(new Uint8Array(r.entry));
      if (!sameBytes(leaf, r.leaf_hash)) return fail(idx, `entry ${idx} was changed: its leaf hash no longer matches its content`);
      const parsed = parseEntry(r);
      if (typeof parsed === 'string') return fail(idx, `entry ${idx}: the ${parsed} column differs from the recorded entry`);
      for (const n of nodesToStore(idx, leaf, (l, i) => frontier.get(key(l, i))!)) {
        // The leaf (level 0) is the entry's leaf_hash, checked against its content above; the rest are node rows.
        if (n.level > 0) {
          const s = stored.get(key(n.level, n.index));
          if (s === undefined || !sameBytes(s, n.hash)) {
            const first = n.index * 2 ** n.level;
            return fail(first, `stored tree node (level ${n.level}, index ${n.index}) ${s === undefined ? 'is missing' : 'does not match the entries'}: an entry in [${first}, ${first + 2 ** n.level}) or the node was changed`);
          }
        }
        frontier.set(key(n.level, n.index), n.hash);
        if (n.level > 0) {
          frontier.delete(key(n.level - 1, 2 * n.index));
          frontier.delete(key(n.level - 1, 2 * n.index + 1));
        }
      }
      if (parsed.type === ROTATION_EVENT_TYPE) {
        const rotated = acceptRotation(parsed.data, opts.origin, active, seenKeys);
        if ('reason' in rotated) return fail(idx, `entry ${idx}: ${rotated.reason}`);
        active = rotated.verifier;
        seenKeys.add(active.keyId);
      }
      expected++;
      bad = await checkCheckpointsAt(expected);
      if (bad !== undefined) return bad;
    }
  }
  if (expected < size) return fail(expected, `the log records ${size} entries but only ${expected} are stored: entries from ${expected} were deleted`);
  const extra = await cps.peek();
  if (extra !== undefined) return fail(undefined, `a checkpoint claims size ${extra.size}, beyond the ${size} entries stored`);
  return { ok: true, size, checkpoints: checked };
}

/** Stored checkpoints in size order, a page at a time, with the published one merged in after any of equal size. */
class CheckpointCursor {
  private buffer: Cp[] = [];
  private after = -1;
  private done = false;

  constructor(
    private readonly store: Store,
    private readonly page: number,
    private published: Cp | undefined,
  ) {}

  async peek(): Promise<Cp | undefined> {
    if (this.buffer.length === 0 && !this.done) await this.fill();
    const head = this.buffer[0];
    if (this.published !== undefined && (head === undefined || this.published.size < head.size)) return this.published;
    return head;
  }

  async next(): Promise<void> {
    const head = await this.peek();
    if (head !== undefined && head === this.published) this.published = undefined;
    else this.buffer.shift();
  }

  private async fill(): Promise<void> {
    const rows = await this.store.db.selectFrom('audit_checkpoints').select(['size', 'root_hash', 'note']).where('size', '>', this.after).orderBy('size').limit(this.page).execute();
    if (rows.length < this.page) this.done = true;
    for (const r of rows) this.buffer.push({ size: Number(r.size), root: new Uint8Array(r.root_hash), note: r.note, published: false });
    if (rows.length > 0) this.after = Number(rows.at(-1)!.size);
  }
}

/** Why a checkpoint cannot be trusted with the key in force at its size, or undefined when it can. */
function checkNote(cp: Cp, origin: string, verifier: NoteVerifier): string | undefined {
  try {
    openNote(cp.note, [verifier]);
  } catch (err) {
    return `its signature does not verify with the key in force at that size (${verifier.name}+${verifier.keyId.toString(16).padStart(8, '0')}): ${(err as Error).message}`;
  }
  try {
    const body = checkpointBody(cp.note, origin);
    if (body.size !== cp.size || !sameBytes(body.rootHash, cp.root)) return 'its signed body does not match its row';
  } catch (err) {
    return `its body is not a checkpoint of this log: ${(err as Error).message}`;
  }
  return undefined;
}

/** The recorded entry, or the name of the first indexed column that disagrees with it. */
function parseEntry(r: { entry: Uint8Array; type: string; actor: string; subject: string; time: string }): { type: string; data: unknown } | string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(Buffer.from(r.entry).toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'entry';
  }
  for (const c of ['type', 'actor', 'subject', 'time'] as const) if (e[c] !== r[c]) return c;
  return { type: r.type, data: e.data };
}

/** The stored nodes above the leaves that leaves [from, to) complete, one query per level. */
async function storedNodes(store: Store, from: number, to: number): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let level = 1; 2 ** level <= to; level++) {
    const w = 2 ** level;
    // Node (level, j) is completed by leaf (j + 1)·w − 1.
    const lo = Math.max(0, Math.ceil((from + 1) / w) - 1);
    const hi = Math.floor(to / w) - 1;
    if (hi < lo) continue;
    const rows = await store.db.selectFrom('audit_nodes').select(['idx', 'hash']).where('level', '=', level).where('idx', '>=', lo).where('idx', '<=', hi).execute();
    for (const r of rows) out.set(`${level}:${Number(r.idx)}`, new Uint8Array(r.hash));
  }
  return out;
}
