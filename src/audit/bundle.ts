import type { KeyObject } from 'node:crypto';
import type { Store } from '../store/index.js';
import { AuditError } from './errors.js';
import { logVerifier } from './log-key.js';
import { checkpointBody, checkpointOf, type CheckpointView } from './log-read.js';
import { storeReader } from './log-store.js';
import { leafHash } from './merkle.js';
import { openNote } from './note.js';
import { inclusionProof, verifyInclusion } from './proof.js';
import { fromHex, toHex } from './hex.js';

/** Evidence a third party verifies offline, with the log's public key and nothing else. */
export interface EvidenceBundle {
  format: 'palisade-audit-bundle/v1';
  origin: string;
  from: number;
  to: number;
  checkpoint: CheckpointView;
  entries: { index: number; entry: string; leafHash: string; proof: string[] }[];
}

/** Entries per bundle: a bundle is evidence for a person to read, not a backup. */
export const MAX_BUNDLE_ENTRIES = 100_000;

/** Entries [from, to] (0-based, both included) with inclusion proofs against the latest signed checkpoint. */
export async function exportBundle(store: Store, origin: string, from: number, to: number): Promise<EvidenceBundle> {
  const checkpoint = await checkpointOf(store);
  if (checkpoint === undefined) throw new AuditError('AUDIT_NOT_FOUND', 'the log is empty: nothing to export');
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from <= to && to < checkpoint.size)) {
    throw new AuditError('AUDIT_NOT_FOUND', `entries ${from}..${to} are not in the latest checkpoint (size ${checkpoint.size}); indices are 0-based and both ends included`);
  }
  if (to - from + 1 > MAX_BUNDLE_ENTRIES) throw new AuditError('AUDIT_NOT_FOUND', `a bundle holds at most ${MAX_BUNDLE_ENTRIES} entries; export a smaller range`);
  const rows = await store.db.selectFrom('audit_entries').select(['idx', 'entry', 'leaf_hash']).where('idx', '>=', from).where('idx', '<=', to).orderBy('idx').execute();
  const reader = storeReader(store.db);
  const entries = [];
  for (const r of rows) {
    const index = Number(r.idx);
    entries.push({ index, entry: Buffer.from(r.entry).toString('utf8'), leafHash: toHex(r.leaf_hash), proof: (await inclusionProof(index, checkpoint.size, reader)).map(toHex) });
  }
  return { format: 'palisade-audit-bundle/v1', origin, from, to, checkpoint, entries };
}

export interface BundleCheck {
  ok: boolean;
  entries: number;
  size?: number;
  reason?: string;
  firstBadIndex?: number;
}

/**
 * Verifies a bundle offline: the checkpoint's signature by `publicKey` (never a key the bundle carries), its origin,
 * the range being complete, each entry's leaf hash recomputed from its text, and each inclusion proof.
 */
export function verifyBundle(raw: unknown, publicKey: KeyObject): BundleCheck {
  const b = raw as Partial<EvidenceBundle>;
  if (b === null || typeof b !== 'object' || b.format !== 'palisade-audit-bundle/v1' || !Array.isArray(b.entries) || typeof b.checkpoint?.note !== 'string') {
    return { ok: false, entries: 0, reason: 'not a palisade-audit-bundle/v1 file' };
  }
  const { origin, verifier } = logVerifier(publicKey);
  let size: number;
  let root: Uint8Array;
  try {
    openNote(b.checkpoint.note, [verifier]);
    const body = checkpointBody(b.checkpoint.note, origin);
    size = body.size;
    root = body.rootHash;
  } catch (err) {
    return { ok: false, entries: 0, reason: `the checkpoint is not signed by this log's key (${origin}): ${(err as Error).message}` };
  }
  const from = Number(b.from);
  const to = Number(b.to);
  if (b.entries.length !== to - from + 1) return { ok: false, entries: b.entries.length, size, reason: `the bundle claims entries ${from}..${to} but holds ${b.entries.length}` };
  for (let i = 0; i < b.entries.length; i++) {
    const e = b.entries[i]!;
    const index = from + i;
    if (e.index !== index) return { ok: false, entries: i, size, firstBadIndex: index, reason: `entry ${index} is missing or out of order` };
    const leaf = leafHash(Buffer.from(String(e.entry), 'utf8'));
    if (toHex(leaf) !== e.leafHash) return { ok: false, entries: i, size, firstBadIndex: index, reason: `entry ${index} does not match its leaf hash` };
    try {
      verifyInclusion(index, size, leaf, (e.proof ?? []).map((h) => fromHex(String(h))), root);
    } catch (err) {
      return { ok: false, entries: i, size, firstBadIndex: index, reason: `entry ${index} is not in the signed tree: ${(err as Error).message}` };
    }
  }
  return { ok: true, entries: b.entries.length, size };
}
