import type { Kysely } from 'kysely';
import type { Database, Store } from '../store/index.js';
import { canonicalEntryBytes } from './canonical-json.js';
import { formatCheckpoint } from './checkpoint.js';
import { AuditError } from './errors.js';
import type { LogKey } from './log-key.js';
import { buf, fetchNodes, insertBatch, nodeKey, sqliteStatements, withAppendLock } from './log-store.js';
import { foldRight, leafHash, nodesToStore, rangeKeys, emptyRoot } from './merkle.js';
import { signNote, type NoteSigner } from './note.js';
import { ROTATION_EVENT_TYPE, rotationData } from './rotation.js';
import { toHex } from './hex.js';

/** What a layer records. `time` is set by the log when it assigns the index. */
export interface AuditEvent {
  type: string;
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

export interface Recorded {
  index: number;
  leafHash: string;
  time: string;
  /** Size of the signed checkpoint that first includes this entry. */
  checkpointSize: number;
}

export interface Clock {
  now(): Date;
}

export interface AuditLogOptions {
  /**
   * How long the first event of a batch waits for others before the batch commits. 0 (the default) commits as soon
   * as the current tick ends, for the lowest latency; a few tens of milliseconds turn a steady trickle of events (a
   * gateway's requests) into batches, so one commit and one signature serve many entries.
   */
  lingerMs?: number;
}

/** Events per transaction and checkpoint: one commit and one signature amortised over many writers. */
const MAX_BATCH = 2000;

/**
 * An event whose data is made when its batch is written ({@link AuditLog.recordDeferred}): work that costs a caller
 * tens of microseconds one at a time (keyed digests, building the data) runs in a tight loop over the whole batch.
 */
export interface DeferredAuditEvent {
  type: string;
  actor: string;
  subject: string;
  data: () => Record<string, unknown>;
}

interface Pending {
  event: AuditEvent;
  /** Makes `event.data` when the batch is taken; the event is checked then. */
  make: (() => Record<string, unknown>) | undefined;
  /** Set on a key rotation, which is appended alone: its checkpoint is signed by both keys. */
  rotateTo: LogKey | undefined;
  /** Undefined for a background event ({@link AuditLog.recordInBackground}): no Recorded is made for it. */
  resolve: ((r: Recorded) => void) | undefined;
  reject: (err: unknown) => void;
}

/** What one batch appended: its entry rows, in order, and the size of the checkpoint that includes them. */
interface Appended {
  entries: Database['audit_entries'][];
  size: number;
}

/**
 * The append side of the log. `record` resolves once its entry is committed — durable across a killed process —
 * together with a signed checkpoint that includes it. Concurrent calls are batched: while one transaction runs, new
 * events queue for the next, so many writers cost one commit and one signature per batch.
 */
export class AuditLog {
  private queue: Pending[] = [];
  private running: Promise<void> | undefined;
  private current: LogKey;
  /**
   * The tree's right edge (the complete subtrees `rangeKeys(0, size)`) as this process left it at its last commit.
   * Sizes only grow, so when the stored size still equals `size` nobody else has appended and the edge is valid:
   * the next batch needs no read of the node table.
   */
  private edge: { size: number; levels: (Uint8Array | undefined)[] } | undefined;
  private pendingEdge: typeof this.edge;

  constructor(
    readonly store: Store,
    key: LogKey,
    private readonly clock: Clock = { now: () => new Date() },
    private readonly options: AuditLogOptions = {},
  ) {
    this.current = key;
  }

  /** The key signing checkpoints now. */
  get key(): LogKey {
    return this.current;
  }

  record(event: AuditEvent): Promise<Recorded> {
    checkCallerEvent(event);
    return this.enqueue({ event });
  }

  /**
   * As {@link record}, but `data()` runs when the event's batch is taken from the queue (within `lingerMs`), and the
   * event is checked then: a bad event or a throwing `data()` rejects this call's promise alone, never its batch.
   * For callers on a hot path whose entry is not needed at once (the gateway's background request entries).
   */
  recordDeferred(event: DeferredAuditEvent): Promise<Recorded> {
    return this.enqueue({ event: { type: event.type, actor: event.actor, subject: event.subject, data: {} }, make: event.data });
  }

  /**
   * As {@link recordDeferred}, for an entry nobody waits on: no promise and no {@link Recorded} are made for it (on a
   * gateway's hot path they cost more than the entry's hashes). `onError` gets the reason if the entry is not
   * recorded: its event was bad, `data()` threw, or its batch failed to commit. {@link flush} still waits for it.
   */
  recordInBackground(event: DeferredAuditEvent, onError: (err: unknown) => void): void {
    this.queue.push({ event: { type: event.type, actor: event.actor, subject: event.subject, data: {} }, make: event.data, rotateTo: undefined, resolve: undefined, reject: onError });
    this.running ??= this.drain();
  }

  /**
   * Retires the current key for `next`: appends an `audit.key_rotated` entry signed by both keys (see rotation.ts),
   * whose checkpoint both keys sign, and records `next` as the only key allowed to sign from then on. Appends queued
   * earlier are signed by the old key; later ones by the new. The caller stores the new private key.
   */
  rotateKey(next: LogKey, actor: string): Promise<Recorded> {
    if (next.origin !== this.current.origin) throw new AuditError('AUDIT_KEY_INVALID', `the new key is bound to origin ${next.origin}, not this log's ${this.current.origin}`);
    if (next.vkey === this.current.vkey) throw new AuditError('AUDIT_KEY_INVALID', 'the new key is the key in use; generate a new one');
    const event: AuditEvent = { type: ROTATION_EVENT_TYPE, actor, subject: `logkey:${next.id}`, data: {} };
    checkEvent(event);
    return this.enqueue({ event, rotateTo: next });
  }

  private enqueue(p: { event: AuditEvent; make?: () => Record<string, unknown>; rotateTo?: LogKey }): Promise<Recorded> {
    return new Promise<Recorded>((resolve, reject) => {
      // One object shape for every pending event (a spread of the caller's object made it vary, and slow).
      this.queue.push({ event: p.event, make: p.make, rotateTo: p.rotateTo, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything queued so far is committed. */
  async flush(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async drain(): Promise<void> {
    // Let callers that record in the same tick (or, with a linger, within it) join the first batch.
    const linger = this.options.lingerMs ?? 0;
    await new Promise<void>((r) => (linger > 0 ? setTimeout(r, linger) : setImmediate(r)));
    try {
      while (this.queue.length > 0) {
        // A rotation goes alone; the events before it form a batch of their own.
        const stop = this.queue.findIndex((p) => p.rotateTo !== undefined);
        const batch = materialize(this.queue.splice(0, stop === 0 ? 1 : Math.min(MAX_BATCH, stop < 0 ? MAX_BATCH : stop)));
        if (batch.length === 0) continue;
        const next = batch[0]!.rotateTo;
        try {
          const done = await withAppendLock(this.store, async (db) => {
            if (next === undefined) return this.append(db, batch.map((p) => p.event));
            const out = await this.append(db, [{ ...batch[0]!.event, data: { ...rotationData(this.current, next) } }], [this.current.signer, next.signer]);
            await db.updateTable('audit_state').set({ active_key: next.vkey }).where('id', '=', 1).execute();
            return out;
          });
          if (next !== undefined) this.current = next;
          this.edge = this.pendingEdge;
          for (let i = 0; i < batch.length; i++) {
            const resolve = batch[i]!.resolve;
            const row = done.entries[i]!;
            if (resolve !== undefined) resolve({ index: Number(row.idx), leafHash: toHex(row.leaf_hash), time: row.time, checkpointSize: done.size });
          }
        } catch (err) {
          this.edge = undefined;
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Appends a batch inside the lock: entries, the subtree hashes they complete, the new size and a checkpoint. */
  private async append(db: Kysely<Database>, events: AuditEvent[], signers: NoteSigner[] = [this.current.signer]): Promise<Appended> {
    // On SQLite the statements of every batch run prepared once (inside the transaction withAppendLock holds).
    const raw = this.store.sqlite === undefined ? undefined : sqliteStatements(this.store.sqlite);
    const state = raw !== undefined ? (raw.state.get() as { size: number; origin: string | null; active_key: string | null }) : await db.selectFrom('audit_state').select(['size', 'origin', 'active_key']).where('id', '=', 1).executeTakeFirstOrThrow();
    await this.checkKey(db, state);
    let size = Number(state.size);
    // The new leaves' left siblings all lie on the right edge of the current tree: one complete subtree per set bit
    // of the size (the compact range), kept by level. Fetched once, or reused from this process's last commit.
    const frontier = this.edge?.size === size ? [...this.edge.levels] : await loadFrontier(db, size);
    const sibling = (level: number, index: number): Uint8Array => {
      const h = frontier[level];
      if (h === undefined) throw new AuditError('AUDIT_NODE_INVALID', `the store has no node at level ${level} index ${index}; run palisade audit verify`);
      return h;
    };
    const entries: Database['audit_entries'][] = [];
    const nodes: Database['audit_nodes'][] = [];
    // One transaction assigns the batch's indices, so its entries share the time of assignment.
    const time = this.clock.now().toISOString();
    for (const e of events) {
      const entry = canonicalEntryBytes({ type: e.type, actor: e.actor, subject: e.subject, data: e.data, time });
      const leaf = leafHash(entry);
      const made = nodesToStore(size, leaf, sibling);
      // The leaf itself (level 0) is the entry row's leaf_hash: only the subtrees above it are node rows.
      for (let k = 1; k < made.length; k++) {
        const n = made[k]!;
        nodes.push({ level: n.level, idx: n.index, hash: buf(n.hash) });
      }
      // The subtrees the new leaf completed merge into one at the top level it reached.
      const top = made[made.length - 1]!;
      for (let l = 0; l < top.level; l++) frontier[l] = undefined;
      frontier[top.level] = top.hash;
      entries.push({ idx: size, leaf_hash: buf(leaf), entry: buf(entry), type: e.type, actor: e.actor, subject: e.subject, time });
      size++;
    }
    await insertBatch(this.store, db, entries, nodes);
    if (raw !== undefined) raw.setSize.run(size);
    else await db.updateTable('audit_state').set({ size }).where('id', '=', 1).execute();
    this.pendingEdge = { size, levels: [...frontier] };
    const largestFirst: Uint8Array[] = [];
    for (let l = frontier.length - 1; l >= 0; l--) if (frontier[l] !== undefined) largestFirst.push(frontier[l]!);
    const root = size === 0 ? emptyRoot() : foldRight(largestFirst);
    const note = signNote(formatCheckpoint({ origin: this.current.origin, size, rootHash: root }), signers);
    const checkpoint = { size, root_hash: buf(root), note, created_at: this.clock.now().toISOString() };
    if (raw !== undefined) raw.checkpoint.run(checkpoint.size, checkpoint.root_hash, checkpoint.note, checkpoint.created_at);
    else await db.insertInto('audit_checkpoints').values(checkpoint).execute();
    return { entries, size };
  }

  /**
   * Binds the log to its identity on first use (origin and signing key), and afterwards refuses to sign with any
   * key but the one the log names: a process still holding a rotated-out key stops instead of forking the log.
   */
  private async checkKey(db: Kysely<Database>, state: { origin: string | null; active_key: string | null }): Promise<void> {
    if (state.origin === null) {
      await db.updateTable('audit_state').set({ origin: this.current.origin, active_key: this.current.vkey }).where('id', '=', 1).execute();
      return;
    }
    if (state.origin !== this.current.origin) {
      throw new AuditError('AUDIT_KEY_INVALID', `this log's origin is ${state.origin}, but the key in use is bound to ${this.current.origin}; open the log with its own key`);
    }
    if (state.active_key !== this.current.vkey) {
      throw new AuditError('AUDIT_KEY_ROTATED', `the log's key was rotated (checkpoints are now signed by ${state.active_key ?? 'another key'}); restart with the home's current key`);
    }
  }
}

/** The complete subtrees of the first `size` leaves (one per set bit of `size`), by level, read in one query. */
async function loadFrontier(db: Kysely<Database>, size: number): Promise<(Uint8Array | undefined)[]> {
  const keys = rangeKeys(0, size);
  const found = await fetchNodes(db, keys);
  const levels: (Uint8Array | undefined)[] = [];
  for (const k of keys) {
    const h = found.get(nodeKey(k.level, k.index));
    if (h === undefined) throw new AuditError('AUDIT_NODE_INVALID', `the store has no node at level ${k.level} index ${k.index}; run palisade audit verify`);
    levels[k.level] = h;
  }
  return levels;
}

/**
 * Makes the data of a batch's deferred events (their event objects are the log's own, so the data is set in place);
 * those that fail are rejected and left out of the batch.
 */
function materialize(batch: Pending[]): Pending[] {
  const out: Pending[] = [];
  for (const p of batch) {
    if (p.make !== undefined) {
      try {
        p.event.data = p.make();
        // Done with: the maker's closure (the texts it digested) need not live through the append.
        p.make = undefined;
        checkCallerEvent(p.event);
      } catch (err) {
        p.reject(err);
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

/** An event a caller may record: well formed, and not a key rotation (only rotateKey writes those). */
function checkCallerEvent(e: AuditEvent): void {
  checkEvent(e);
  if (e.type === ROTATION_EVENT_TYPE) throw new AuditError('AUDIT_EVENT_INVALID', `${ROTATION_EVENT_TYPE} entries are written only by a key rotation (palisade audit rotate-key)`);
}

/** Types are dotted lowercase words; actors and subjects are `kind:value`; data is a JSON object. */
function checkEvent(e: AuditEvent): void {
  if (typeof e.type !== 'string' || !/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(e.type)) {
    throw new AuditError('AUDIT_EVENT_INVALID', `event type '${String(e.type)}' must be dotted lowercase words, like scan.verdict`);
  }
  for (const [what, v] of [['actor', e.actor], ['subject', e.subject]] as const) {
    if (typeof v !== 'string' || !/^[a-z][a-z0-9_-]*:\S/.test(v) || v.length > 512) {
      throw new AuditError('AUDIT_EVENT_INVALID', `event ${what} '${String(v)}' must look like kind:value (e.g. os:alice, model:llama@3), at most 512 characters`);
    }
  }
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) {
    throw new AuditError('AUDIT_EVENT_INVALID', 'event data must be a JSON object');
  }
}
