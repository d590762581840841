import { AuditError } from './errors.js';
import {
  bitLength,
  checkHash,
  checkSize,
  foldRight,
  isHash,
  nodeHash,
  popcount,
  rangeKeys,
  readNodes,
  shiftRight,
  trailingZeros,
  xor,
  type NodeKey,
  type NodeReader,
} from './merkle.js';

/**
 * RFC 9162 inclusion and consistency proofs: generation from stored complete-subtree hashes (§2.1.3.1 PATH, §2.1.4.1
 * PROOF) and verification (§2.1.3.2, §2.1.4.2, with the checks of transparency-dev/merkle `proof/verify.go`).
 *
 * Generation is split in two so that every store issues exactly one read: a pure *plan* lists the (level, index)
 * keys a proof needs, the store fetches them (`getMany`), and {@link assembleProof} folds them into proof hashes. A
 * proof element is either one complete subtree or, at most once per proof, an ephemeral right-edge node folded from
 * the complete subtrees that cover it, so a plan holds at most about 2·log2(n) keys.
 *
 * Verification throws {@link AuditError} and returns nothing: a caller that forgets to look at a result would accept
 * a bad proof, while a forgotten exception fails closed. Codes, checked in this order: AUDIT_SIZE_INVALID (a size is
 * not a safe integer ≥ 0; size1 > size2; size1 = 0), AUDIT_INDEX_INVALID (index ≥ size), AUDIT_HASH_INVALID (a leaf
 * hash, root or proof element is not 32 bytes), AUDIT_PROOF_INVALID (wrong number of proof hashes), then
 * AUDIT_ROOT_MISMATCH (well-formed, but the computed root differs).
 *
 * Security note: a proof binds the entry to the root, not the root to the tree size. The same inclusion proof also
 * "verifies" against size ± 1 whenever that size gives the same hash path (e.g. leaf 0 of 4 and of 3), and likewise
 * for the newer size of a consistency proof. Callers must take size and root together from one verified signed
 * checkpoint (C2SP tlog-checkpoint), never from separate sources.
 */

/** Proof hashes, lowest level first (RFC 9162 §2.1.3.1 / §2.1.4.1 order). */
export type Proof = readonly Uint8Array[];

/** The stored nodes a proof needs, and how they fold into proof elements. */
export interface ProofPlan {
  /** Every node to read, in proof order. */
  readonly keys: readonly NodeKey[];
  /** Proof element e folds the next `spans[e]` keys ({@link foldRight}); 1 for a complete subtree. */
  readonly spans: readonly number[];
}

/**
 * Plan for RFC 9162 §2.1.3.1 PATH(index, D[size]). Walking up from the leaf, each level contributes the sibling of
 * the node on the path: a complete left sibling, a complete right sibling, a right sibling cut short by the tree's
 * right edge (ephemeral, folded from its complete parts; this happens at most once), or nothing when the node is
 * the rightmost at its level and is promoted unchanged (the tree is left-full).
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  checkSize(size);
  checkIndex(index, size);
  const keys: NodeKey[] = [];
  const spans: number[] = [];
  let node = index;
  for (let level = 0; 2 ** level < size; level++, node = Math.floor(node / 2)) {
    if (node % 2 === 1) {
      keys.push({ level, index: node - 1 });
      spans.push(1);
      continue;
    }
    const width = 2 ** level;
    const start = (node + 1) * width;
    if (start >= size) continue;
    const parts = rangeKeys(start, Math.min(start + width, size));
    keys.push(...parts);
    spans.push(parts.length);
  }
  return { keys, spans };
}

/**
 * Plan for RFC 9162 §2.1.4.1 PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true), unrolled:
 *   m ≤ k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])      m > k: SUBPROOF(m−k, D[k:n], false) : MTH(D[0:k])
 * with k the largest power of two < n. MTH(D[0:k]) is always one stored node; MTH(D[k:n]) is ephemeral only on the
 * first left step (below it every subtree is complete). Requires 0 < size1 ≤ size2; equal sizes give an empty plan.
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  checkSizes(size1, size2);
  const groups: NodeKey[][] = [];
  let offset = 0;
  let m = size1;
  let n = size2;
  let whole = true; // SUBPROOF's b: the subtree is the whole old tree, whose root the verifier already has.
  while (m !== n) {
    const level = bitLength(n - 1) - 1;
    const k = 2 ** level;
    if (m <= k) {
      groups.push(rangeKeys(offset + k, offset + n));
      n = k;
    } else {
      groups.push([{ level, index: offset / k }]);
      offset += k;
      m -= k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) groups.push(rangeKeys(offset, offset + m));
  // The loop met the elements from the top of the tree down; PROOF lists them from the bottom up.
  groups.reverse();
  return { keys: groups.flat(), spans: groups.map((g) => g.length) };
}

/**
 * Folds the hashes read for `plan.keys` (same order) into proof elements. Stores with a synchronous read path use
 * this directly; {@link inclusionProof} and {@link consistencyProof} wrap it around one {@link readNodes} call.
 */
export function assembleProof(plan: ProofPlan, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length !== plan.keys.length || !hashes.every(isHash)) {
    throw new AuditError('AUDIT_NODE_INVALID', `expected ${plan.keys.length} stored hashes of 32 bytes`);
  }
  const proof: Uint8Array[] = [];
  let pos = 0;
  for (const span of plan.spans) {
    proof.push(foldRight(hashes, pos, pos + span));
    pos += span;
  }
  return proof;
}

/**
 * RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in the tree of the first `size` leaves, from one batch of at
 * most about 2·log2(size) node reads. `size` must not exceed the log's size (the reader then lacks nodes and throws).
 *
 * @example
 * const proof = await inclusionProof(42, checkpoint.size, store);
 * verifyInclusion(42, checkpoint.size, leafHash(entry), proof, checkpoint.root);
 */
export async function inclusionProof(index: number, size: number, reader: NodeReader): Promise<Uint8Array[]> {
  const plan = inclusionProofPlan(index, size);
  return assembleProof(plan, await readNodes(reader, plan.keys));
}

/**
 * RFC 9162 §2.1.4.1 consistency proof that the tree of `size1` leaves is a prefix of the tree of `size2` leaves.
 * Requires 0 < size1 ≤ size2 ≤ the log's size (a proof from the empty tree is meaningless, RFC 9162 §2.1.4.2).
 *
 * @example
 * const proof = await consistencyProof(oldCheckpoint.size, newCheckpoint.size, store);
 */
export async function consistencyProof(size1: number, size2: number, reader: NodeReader): Promise<Uint8Array[]> {
  const plan = consistencyProofPlan(size1, size2);
  return assembleProof(plan, await readNodes(reader, plan.keys));
}

/**
 * The root that an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1–5, in transparency-dev's inner/border form):
 * the proof splits where the paths to `index` and `size − 1` diverge; below that point the index bits choose the
 * side, above it every sibling is on the left. Throws like {@link verifyInclusion} except for AUDIT_ROOT_MISMATCH.
 */
export function rootFromInclusionProof(index: number, size: number, leaf: Uint8Array, proof: Proof): Uint8Array {
  checkSize(size);
  checkIndex(index, size);
  checkHash(leaf, 'leaf hash');
  const inner = bitLength(xor(index, size - 1));
  const border = popcount(shiftRight(index, inner));
  checkProof(proof, inner + border);
  let hash = chainInner(leaf, proof, 0, inner, index);
  for (let i = inner; i < proof.length; i++) hash = nodeHash(proof[i]!, hash);
  return hash;
}

/**
 * RFC 9162 §2.1.3.2: checks that `leaf` (a leaf *hash*) is number `index` of the tree of `size` leaves with `root`.
 * Returns normally only if it is; otherwise throws AuditError (see the module comment for the codes).
 *
 * @example
 * verifyInclusion(3, 8, leafHash(entry), proof, root); // throws AUDIT_ROOT_MISMATCH if any byte was altered
 */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: Proof, root: Uint8Array): void {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  checkHash(root, 'root');
  if (!sameHash(computed, root)) {
    throw new AuditError('AUDIT_ROOT_MISMATCH', `inclusion proof for leaf ${index} of ${size} does not lead to the root`);
  }
}

/**
 * RFC 9162 §2.1.4.2: checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2` leaves
 * with `root2`. Returns normally only if it is; otherwise throws AuditError.
 *
 * Size 0 is always AUDIT_SIZE_INVALID, even 0 → 0: an empty tree commits to nothing, so "consistent with it" proves
 * nothing. Equal sizes need an empty proof and byte-equal roots; like transparency-dev, that branch compares the
 * roots without insisting on 32 bytes (there is nothing to hash, and its probe vectors expect this).
 *
 * @example
 * verifyConsistency(old.size, next.size, old.root, next.root, proof); // a fork throws AUDIT_ROOT_MISMATCH
 */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: Proof): void {
  checkSizes(size1, size2);
  if (size1 === size2) {
    checkProof(proof, 0);
    if (!(root1 instanceof Uint8Array && root2 instanceof Uint8Array)) {
      throw new AuditError('AUDIT_HASH_INVALID', 'roots must be byte arrays');
    }
    if (!sameHash(root1, root2)) throw new AuditError('AUDIT_ROOT_MISMATCH', `roots differ for equal sizes ${size1}`);
    return;
  }
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');
  // The proof is the tail of the inclusion proof of leaf size1−1 in the tree of size2, starting at level `shift`:
  // the node covering the last 2^shift leaves of the old tree. When size1 is exactly 2^shift that node is root1
  // itself and the proof omits it; otherwise it comes first.
  const shift = trailingZeros(size1);
  const inner = bitLength(xor(size1 - 1, size2 - 1)) - shift;
  const border = popcount(shiftRight(size1 - 1, inner + shift));
  const start = size1 === 2 ** shift ? 0 : 1;
  checkProof(proof, start + inner + border);
  const seed = start === 0 ? root1 : proof[0]!;
  const mask = shiftRight(size1 - 1, shift);
  // Old root: only the left siblings count, because everything to the right was appended after size1.
  let hash1 = seed;
  for (let i = 0; i < inner; i++) if (shiftRight(mask, i) % 2 === 1) hash1 = nodeHash(proof[start + i]!, hash1);
  let hash2 = chainInner(seed, proof, start, start + inner, mask);
  for (let i = start + inner; i < proof.length; i++) {
    hash1 = nodeHash(proof[i]!, hash1);
    hash2 = nodeHash(proof[i]!, hash2);
  }
  if (!sameHash(hash1, root1)) {
    throw new AuditError('AUDIT_ROOT_MISMATCH', `consistency proof ${size1} -> ${size2} does not lead to root1`);
  }
  if (!sameHash(hash2, root2)) {
    throw new AuditError('AUDIT_ROOT_MISMATCH', `consistency proof ${size1} -> ${size2} does not lead to root2`);
  }
}

// Below the divergence point the bit of `index` at each level says whether the path node is a right child.
function chainInner(seed: Uint8Array, proof: Proof, from: number, to: number, index: number): Uint8Array {
  let hash = seed;
  for (let i = from; i < to; i++) {
    hash = shiftRight(index, i - from) % 2 === 0 ? nodeHash(hash, proof[i]!) : nodeHash(proof[i]!, hash);
  }
  return hash;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new AuditError('AUDIT_INDEX_INVALID', `leaf index must be an integer in [0, ${size}), got ${String(index)}`);
  }
}

function checkSizes(size1: number, size2: number): void {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) throw new AuditError('AUDIT_SIZE_INVALID', `size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0) throw new AuditError('AUDIT_SIZE_INVALID', 'a consistency proof from the empty tree proves nothing');
}

// The expected length is computed from the sizes before any element is touched, so an oversized hostile proof costs
// one comparison.
function checkProof(proof: Proof, want: number): void {
  if (!Array.isArray(proof)) throw new AuditError('AUDIT_PROOF_INVALID', 'proof must be an array of hashes');
  if (proof.length !== want) {
    throw new AuditError('AUDIT_PROOF_INVALID', `proof has ${proof.length} hashes, expected ${want}`);
  }
  proof.forEach((h, i) => checkHash(h, `proof[${i}]`));
}

// Not constant-time on purpose: roots and proof hashes are public, so an early exit reveals nothing secret.
function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
