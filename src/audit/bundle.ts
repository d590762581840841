import type { KeyObject } from 'node:crypto';
import type { Store } from '../store/index.js';
import { AuditError } from './errors.js';
import { logVerifier, originOf } from './log-key.js';
import { checkpointBody, checkpointOf, type CheckpointView } from './log-read.js';
import { storeReader } from './log-store.js';
import { leafHash } from './merkle.js';
import { formatVerifierKey, openNote, type NoteVerifier } from './note.js';
import { acceptRotation, ROTATION_EVENT_TYPE, type RotationData } from './rotation.js';
import { rawEd25519 } from '../core/keys.js';
import { inclusionProof, verifyInclusion } from './proof.js';
import { fromHex, toHex } from './hex.js';

/** Evidence a third party verifies offline, with the log's public key and nothing else. */
export interface EvidenceBundle {
  format: 'palisade-audit-bundle/v1';
  origin: string;
  from: number;
  to: number;
  checkpoint: CheckpointView;
  entries: BundleEntry[];
  /** Every key rotation before the checkpoint, with proofs: how a verifier holding an older key reaches the signer. */
  rotations?: BundleEntry[];
}

export interface BundleEntry {
  index: number;
  entry: string;
  leafHash: string;
  proof: string[];
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
  const rotations = await store.db.selectFrom('audit_entries').select(['idx', 'entry', 'leaf_hash']).where('type', '=', ROTATION_EVENT_TYPE).where('idx', '<', checkpoint.size).orderBy('idx').execute();
  const reader = storeReader(store.db);
  const withProof = async (r: (typeof rows)[number]): Promise<BundleEntry> => {
    const index = Number(r.idx);
    return { index, entry: Buffer.from(r.entry).toString('utf8'), leafHash: toHex(r.leaf_hash), proof: (await inclusionProof(index, checkpoint.size, reader)).map(toHex) };
  };
  const entries = [];
  for (const r of rows) entries.push(await withProof(r));
  const out: EvidenceBundle = { format: 'palisade-audit-bundle/v1', origin, from, to, checkpoint, entries };
  if (rotations.length > 0) {
    out.rotations = [];
    for (const r of rotations) out.rotations.push(await withProof(r));
  }
  return out;
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
  if (b === null || typeof b !== 'object' || b.format !== 'palisade-audit-bundle/v1' || !Array.isArray(b.entries) || typeof b.checkpoint?.note !== 'string' || typeof b.origin !== 'string') {
    return { ok: false, entries: 0, reason: 'not a palisade-audit-bundle/v1 file' };
  }
  let size: number;
  let root: Uint8Array;
  try {
    ({ size, rootHash: root } = checkpointBody(b.checkpoint.note, b.origin));
  } catch (err) {
    return { ok: false, entries: 0, reason: `the bundle's checkpoint is malformed: ${(err as Error).message}` };
  }
  const signer = signerAt(b.rotations ?? [], b.origin, publicKey, size, root);
  if ('reason' in signer) return { ok: false, entries: 0, size, reason: signer.reason };
  try {
    openNote(b.checkpoint.note, [signer.verifier]);
  } catch (err) {
    return { ok: false, entries: 0, reason: `the checkpoint is not signed by this log's key (${b.origin}): ${(err as Error).message}` };
  }
  const from = Number(b.from);
  const to = Number(b.to);
  if (b.entries.length !== to - from + 1) return { ok: false, entries: b.entries.length, size, reason: `the bundle claims entries ${from}..${to} but holds ${b.entries.length}` };
  for (let i = 0; i < b.entries.length; i++) {
    const index = from + i;
    const why = checkEntry(b.entries[i]!, index, size, root);
    if (why !== undefined) return { ok: false, entries: i, size, firstBadIndex: index, reason: why };
  }
  return { ok: true, entries: b.entries.length, size };
}

/** Why a bundled entry is not the log's entry at `index` under the root, or undefined when it is. */
function checkEntry(e: BundleEntry, index: number, size: number, root: Uint8Array): string | undefined {
  if (e?.index !== index) return `entry ${index} is missing or out of order`;
  const leaf = leafHash(Buffer.from(String(e.entry), 'utf8'));
  if (toHex(leaf) !== e.leafHash) return `entry ${index} does not match its leaf hash`;
  try {
    verifyInclusion(index, size, leaf, (Array.isArray(e.proof) ? e.proof : []).map((h) => fromHex(String(h))), root);
  } catch (err) {
    return `entry ${index} is not in the signed tree: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * The key that signs the bundle's checkpoint, reached from `trusted` through the log's rotation entries (each
 * proven to sit in the same tree). `trusted` may be the log's first key or any key a rotation announced; the
 * rotations after it must each be signed by the key they retire.
 */
function signerAt(rotations: BundleEntry[], origin: string, trusted: KeyObject, size: number, root: Uint8Array): { verifier: NoteVerifier } | { reason: string } {
  const mine = logVerifier(trusted, origin);
  const myKey = formatVerifierKey(origin, rawEd25519(trusted));
  const parsed: { index: number; data: Partial<RotationData> }[] = [];
  for (const r of Array.isArray(rotations) ? rotations : []) {
    const index = Number(r?.index);
    const why = checkEntry(r, index, size, root);
    if (why !== undefined) return { reason: `key rotation: ${why}` };
    let e: { type?: unknown; data?: Partial<RotationData> };
    try {
      e = JSON.parse(String(r.entry)) as typeof e;
    } catch {
      return { reason: `entry ${index}, listed as a key rotation, is not JSON` };
    }
    if (e.type !== ROTATION_EVENT_TYPE) return { reason: `entry ${index} is listed as a key rotation but is a ${String(e.type)}` };
    if (parsed.length > 0 && index <= parsed.at(-1)!.index) return { reason: 'the key rotations are not in log order' };
    parsed.push({ index, data: e.data ?? {} });
  }
  // Where the trusted key enters the chain: as the first key (which names the origin) or as an announced one.
  let start: number;
  if (parsed.length === 0 ? originOf(trusted) === origin : parsed[0]!.data.previousKey === myKey && originOf(trusted) === origin) start = 0;
  else {
    start = parsed.findIndex((p) => p.data.newKey === myKey) + 1;
    if (start === 0) return { reason: `the given key is not a key of this log (${origin}): it neither started it nor was announced in it` };
  }
  let active = mine.verifier;
  const seen = new Set([active.keyId]);
  for (const p of parsed.slice(start)) {
    const next = acceptRotation(p.data, origin, active, seen);
    if ('reason' in next) return { reason: `entry ${p.index}: ${next.reason}` };
    active = next.verifier;
    seen.add(active.keyId);
  }
  return { verifier: active };
}
