import type { Store } from '../store/index.js';
import { parseCheckpoint } from './checkpoint.js';
import { AuditError } from './errors.js';
import { storeReader } from './log-store.js';
import { consistencyProof, inclusionProof } from './proof.js';
import { toHex } from './hex.js';


export interface CheckpointView {
  size: number;
  rootHash: string;
  /** The signed note: checkpoint body, a blank line, signature lines. */
  note: string;
}

export interface InclusionView {
  index: number;
  size: number;
  leafHash: string;
  /** Hex hashes, in the order RFC 9162 §2.1.3.2 consumes them. */
  proof: string[];
  /** The entry as recorded (canonical JSON text). */
  entry: string;
  checkpoint: CheckpointView;
}

export interface ConsistencyView {
  from: number;
  to: number;
  proof: string[];
  checkpoint: CheckpointView;
}

/** The newest signed checkpoint, or the one of exactly `size` entries. */
export async function checkpointOf(store: Store, size?: number): Promise<CheckpointView | undefined> {
  let q = store.db.selectFrom('audit_checkpoints').select(['size', 'root_hash', 'note']);
  q = size === undefined ? q.orderBy('size', 'desc').limit(1) : q.where('size', '=', size);
  const row = await q.executeTakeFirst();
  return row === undefined ? undefined : { size: Number(row.size), rootHash: toHex(row.root_hash), note: row.note };
}

async function requireCheckpoint(store: Store, size: number | undefined): Promise<CheckpointView> {
  const cp = await checkpointOf(store, size);
  if (cp === undefined) {
    throw new AuditError('AUDIT_NOT_FOUND', size === undefined ? 'the log is empty: nothing has been recorded yet' : `no signed checkpoint has size ${size}; proofs are made against checkpoint sizes`);
  }
  return cp;
}

/** An entry with its inclusion proof against a signed checkpoint (default: the latest). */
export async function proveInclusion(store: Store, index: number, size?: number): Promise<InclusionView> {
  const checkpoint = await requireCheckpoint(store, size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= checkpoint.size) {
    throw new AuditError('AUDIT_NOT_FOUND', `index ${index} is not in the checkpoint of size ${checkpoint.size}`);
  }
  const row = await store.db.selectFrom('audit_entries').select(['leaf_hash', 'entry']).where('idx', '=', index).executeTakeFirst();
  if (row === undefined) throw new AuditError('AUDIT_NOT_FOUND', `entry ${index} is missing from the store; run palisade audit verify`);
  const proof = await inclusionProof(index, checkpoint.size, storeReader(store.db));
  return { index, size: checkpoint.size, leafHash: toHex(row.leaf_hash), proof: proof.map(toHex), entry: Buffer.from(row.entry).toString('utf8'), checkpoint };
}

/** A consistency proof from size `from` to the signed checkpoint of size `to` (default: the latest). */
export async function proveConsistency(store: Store, from: number, to?: number): Promise<ConsistencyView> {
  const checkpoint = await requireCheckpoint(store, to);
  const proof = await consistencyProof(from, checkpoint.size, storeReader(store.db));
  return { from, to: checkpoint.size, proof: proof.map(toHex), checkpoint };
}

/** The checkpoint body of a note, parsed and bound to the log's origin. */
export function checkpointBody(note: string, origin: string): ReturnType<typeof parseCheckpoint> {
  const body = note.slice(0, note.indexOf('\n\n') + 1);
  return parseCheckpoint(body, { origin });
}
