import type { Store } from '../store/index.js';
import { checkpointBody } from './log-read.js';
import { foldRight, leafHash, nodesToStore, rangeKeys, emptyRoot } from './merkle.js';
import { openNote, type NoteVerifier } from './note.js';
import { sameBytes } from './hex.js';

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
 * signed checkpoint, whose signature is checked too. Memory stays O(log n): the walk keeps only the tree's right
 * edge. The first discrepancy is reported with the entry it points at; a row changed, deleted, reordered or inserted
 * anywhere is caught, and so is a history rebuilt with the key when a published checkpoint is given.
 */
export async function verifyLog(store: Store, opts: VerifyOptions): Promise<VerifyResult> {
  const page = opts.pageSize ?? 5000;
  const state = await store.db.selectFrom('audit_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
  const size = Number(state.size);
  const cps = await loadCheckpoints(store, opts);
  if ('reason' in cps) return { ok: false, size: 0, checkpoints: 0, ...cps };
  let nextCp = 0;
  let checked = 0;
  const frontier = new Map<string, Uint8Array>();
  const key = (l: number, i: number): string => `${l}:${i}`;
  const fail = (index: number | undefined, reason: string): VerifyResult => ({ ok: false, size, checkpoints: checked, ...(index === undefined ? {} : { firstBadIndex: index }), reason });

  const checkRootsUpTo = (n: number): VerifyResult | undefined => {
    while (nextCp < cps.length && cps[nextCp]!.size <= n) {
      const cp = cps[nextCp++]!;
      if (cp.size < n) continue;
      const root = n === 0 ? emptyRoot() : foldRight(rangeKeys(0, n).map((k) => frontier.get(key(k.level, k.index))!));
      if (!sameBytes(root, cp.root)) {
        const prev = cps.slice(0, nextCp - 1).filter((c) => !c.published).at(-1)?.size ?? 0;
        return fail(prev, cp.published ? `the log's first ${n} entries no longer match the published checkpoint of size ${n}: history was rewritten after index ${prev}` : `the checkpoint of size ${n} does not match the entries: an entry at or after index ${prev} was changed`);
      }
      checked++;
    }
    return undefined;
  };

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
      const columns = columnsMatch(r);
      if (columns !== undefined) return fail(idx, `entry ${idx}: the ${columns} column differs from the recorded entry`);
      for (const n of nodesToStore(idx, leaf, (l, i) => frontier.get(key(l, i))!)) {
        const s = stored.get(key(n.level, n.index));
        if (s === undefined || !sameBytes(s, n.hash)) {
          const first = n.index * 2 ** n.level;
          return fail(first, `stored tree node (level ${n.level}, index ${n.index}) ${s === undefined ? 'is missing' : 'does not match the entries'}: an entry in [${first}, ${first + 2 ** n.level}) or the node was changed`);
        }
        frontier.set(key(n.level, n.index), n.hash);
        if (n.level > 0) {
          frontier.delete(key(n.level - 1, 2 * n.index));
          frontier.delete(key(n.level - 1, 2 * n.index + 1));
        }
      }
      expected++;
      const bad = checkRootsUpTo(expected);
      if (bad !== undefined) return bad;
    }
  }
  if (expected < size) return fail(expected, `the log records ${size} entries but only ${expected} are stored: entries from ${expected} were deleted`);
  if (nextCp < cps.length) {
    const cp = cps[nextCp]!;
    return fail(undefined, `a checkpoint claims size ${cp.size}, beyond the ${size} entries stored`);
  }
  return { ok: true, size, checkpoints: checked };
}

/** Loads the stored checkpoints (signature and body checked) and the published one, ordered by size. */
async function loadCheckpoints(store: Store, opts: VerifyOptions): Promise<Cp[] | { firstBadIndex?: number; reason: string }> {
  const rows = await store.db.selectFrom('audit_checkpoints').select(['size', 'root_hash', 'note']).orderBy('size').execute();
  const out: Cp[] = [];
  for (const r of rows) {
    const size = Number(r.size);
    const why = checkNote(r.note, opts, size, new Uint8Array(r.root_hash));
    if (why !== undefined) return { reason: `checkpoint of size ${size}: ${why}` };
    out.push({ size, root: new Uint8Array(r.root_hash), note: r.note, published: false });
  }
  if (opts.publishedCheckpoint !== undefined) {
    try {
      openNote(opts.publishedCheckpoint, [opts.verifier]);
      const body = checkpointBody(opts.publishedCheckpoint, opts.origin);
      out.push({ size: body.size, root: body.rootHash, note: opts.publishedCheckpoint, published: true });
    } catch (err) {
      return { reason: `the published checkpoint does not verify with this log's key: ${(err as Error).message}` };
    }
  }
  return out.sort((a, b) => a.size - b.size || Number(a.published) - Number(b.published));
}

function checkNote(note: string, opts: VerifyOptions, size: number, root: Uint8Array): string | undefined {
  try {
    openNote(note, [opts.verifier]);
    const body = checkpointBody(note, opts.origin);
    if (body.size !== size || !sameBytes(body.rootHash, root)) return 'its signed body does not match its row';
  } catch (err) {
    return `its signature does not verify: ${(err as Error).message}`;
  }
  return undefined;
}

function columnsMatch(r: { entry: Uint8Array; type: string; actor: string; subject: string; time: string }): string | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(Buffer.from(r.entry).toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'entry';
  }
  for (const c of ['type', 'actor', 'subject', 'time'] as const) if (e[c] !== r[c]) return c;
  return undefined;
}

/** The stored nodes that leaves [from, to) complete, one query per level. */
async function storedNodes(store: Store, from: number, to: number): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let level = 0; 2 ** level <= to; level++) {
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
