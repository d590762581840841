import { createHash } from 'node:crypto';
import { sha256Of } from '../core/digest.js';
import { AuditError } from './errors.js';

/**
 * RFC 9162 Merkle tree core: hashing (§2.1.1), safe-integer tree math, and the stored-node model that gives O(log n)
 * roots and proofs.
 *
 * Storage model: the log keeps the hash of every *complete* subtree. Node (level L, index j) is the hash of the
 * perfect subtree over leaves [j·2^L, (j+1)·2^L); level 0 holds the leaf hashes. These nodes never change once
 * written, so the table is append-only (the same set as Go sumdb's `StoredHashIndex` layout and C2SP tlog-tiles).
 * Any other node of an RFC 9162 tree (one on the right edge of a tree whose size is not a power of two) is
 * "ephemeral": it is folded on demand from the complete subtrees that cover its range.
 */

/** SHA-256 output length; RFC 9162 §2.1.1 v1 logs use SHA-256 only. */
export const HASH_SIZE = 32;

// RFC 9162 §2.1.1: leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so no leaf can pass for an
// interior node (second-preimage resistance). The prefix and the data are copied into one buffer for Node's one-shot
// hash (src/core/digest.ts: a Hash object per call costs more, collections included, than the copy).
const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
const EMPTY_ROOT: Uint8Array = createHash('sha256').digest();

/**
 * RFC 9162 §2.1.1 leaf hash: SHA-256(0x00 ‖ entry). The entry is hashed as the exact bytes given.
 *
 * @example
 * leafHash(new TextEncoder().encode('hello')).length; // 32
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  return sha256Of(LEAF_PREFIX, entry);
}

/**
 * RFC 9162 §2.1.1 interior node hash: SHA-256(0x01 ‖ left ‖ right). Both children must be 32-byte hashes.
 *
 * @example
 * nodeHash(leafHash(a), leafHash(b)); // root of the two-leaf tree [a, b]
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // Two length checks cost nanoseconds next to SHA-256 and stop a truncated hash from producing a plausible digest.
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new AuditError('AUDIT_HASH_INVALID', `node children must be ${HASH_SIZE} bytes, got ${left.length} and ${right.length}`);
  }
  return sha256Of(NODE_PREFIX, left, right);
}

/**
 * RFC 9162 §2.1.1: the root of the empty tree is SHA-256 of the empty string. Returns a fresh copy each call.
 *
 * @example
 * Buffer.from(emptyRoot()).toString('hex'); // 'e3b0c442…b855'
 */
export function emptyRoot(): Uint8Array {
  return new Uint8Array(EMPTY_ROOT);
}

/** True when `hash` is a Uint8Array of exactly 32 bytes. Input may be hostile, so the type is checked too. */
export function isHash(hash: unknown): hash is Uint8Array {
  return hash instanceof Uint8Array && hash.length === HASH_SIZE;
}

/** Throws AUDIT_HASH_INVALID unless `hash` is a 32-byte Uint8Array; `what` names it in the message. */
export function checkHash(hash: unknown, what: string): asserts hash is Uint8Array {
  if (!isHash(hash)) {
    const got = hash instanceof Uint8Array ? `${hash.length} bytes` : typeof hash;
    throw new AuditError('AUDIT_HASH_INVALID', `${what} must be a ${HASH_SIZE}-byte hash, got ${got}`);
  }
}

/**
 * Throws AUDIT_SIZE_INVALID unless `size` is a safe integer ≥ 0. Sizes and indexes are plain numbers: 2^53 − 1 leaves
 * is far beyond any log, and safe integers keep the hot path free of BigInt.
 */
export function checkSize(size: number, what = 'tree size'): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new AuditError('AUDIT_SIZE_INVALID', `${what} must be a safe integer >= 0, got ${String(size)}`);
  }
}

// Bit operations on safe integers (< 2^53). JavaScript's bitwise operators truncate to 32 bits, so each value is
// split into a high and a low 32-bit word; division by a power of two is exact for safe integers.
const TWO32 = 2 ** 32;

function ctz32(v: number): number {
  return 31 - Math.clz32(v & -v);
}

function popcount32(v: number): number {
  let x = v >>> 0;
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of bits needed to write `x` (0 for 0); Go's bits.Len64. */
export function bitLength(x: number): number {
  return x >= TWO32 ? 64 - Math.clz32(Math.floor(x / TWO32)) : 32 - Math.clz32(x);
}

/** Number of set bits in `x`; Go's bits.OnesCount64. */
export function popcount(x: number): number {
  return popcount32(x % TWO32) + popcount32(Math.floor(x / TWO32));
}

/** Number of trailing zero bits of `x` > 0; Go's bits.TrailingZeros64. */
export function trailingZeros(x: number): number {
  const lo = x % TWO32;
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(Math.floor(x / TWO32));
}

/** `a XOR b` for safe integers. */
export function xor(a: number, b: number): number {
  const hi = (Math.floor(a / TWO32) ^ Math.floor(b / TWO32)) >>> 0;
  return hi * TWO32 + (((a % TWO32) ^ (b % TWO32)) >>> 0);
}

/** `x >> k` for safe integers and any k ≥ 0. */
export function shiftRight(x: number, k: number): number {
  return Math.floor(x / 2 ** k);
}

/** One stored node: the complete subtree over leaves [index·2^level, (index+1)·2^level). */
export interface NodeKey {
  readonly level: number;
  readonly index: number;
}

/** A stored node with its hash, as returned by {@link nodesToStore}. */
export interface StoredNode extends NodeKey {
  readonly hash: Uint8Array;
}

/**
 * Read access to the stored complete-subtree hashes. A store that can answer several keys in one query (SQL
 * `WHERE (level, idx) IN (…)`, one tile fetch) implements `getMany`; proof generation then issues exactly one read.
 * Both must throw when a node is absent: an absent node means the caller asked about a size the log has not reached.
 */
export interface NodeReader {
  get(level: number, index: number): Promise<Uint8Array>;
  /** Hashes for `keys`, in the same order. */
  getMany?(keys: readonly NodeKey[]): Promise<readonly Uint8Array[]>;
}

/**
 * Fetches `keys` through one `getMany` call (or parallel `get` calls) and checks that every answer is a 32-byte hash,
 * so a corrupt store surfaces as AUDIT_NODE_INVALID instead of a wrong proof.
 */
export async function readNodes(reader: NodeReader, keys: readonly NodeKey[]): Promise<Uint8Array[]> {
  if (keys.length === 0) return [];
  const hashes = reader.getMany
    ? await reader.getMany(keys)
    : await Promise.all(keys.map((k) => reader.get(k.level, k.index)));
  if (!Array.isArray(hashes) || hashes.length !== keys.length) {
    throw new AuditError('AUDIT_NODE_INVALID', `node reader returned ${String(hashes?.length)} hashes for ${keys.length} keys`);
  }
  return hashes.map((h: unknown, i) => {
    if (!isHash(h)) {
      const k = keys[i]!;
      throw new AuditError('AUDIT_NODE_INVALID', `node reader returned a non-hash for level ${k.level} index ${k.index}`);
    }
    return h;
  });
}

/**
 * The complete subtrees that cover leaves [start, end), left to right. Greedy: each step takes the largest subtree
 * that is aligned at the current position and fits before `end`. Callers in this module only pass ranges where
 * `start` is a multiple of a power of two > end − start − 1 (the right part of an RFC 9162 split, or [0, size)); then
 * the list is the binary decomposition of end − start from the largest part down, and folding it from the right
 * ({@link foldRight}) yields RFC 9162 MTH(D[start:end]).
 */
export function rangeKeys(start: number, end: number): NodeKey[] {
  const keys: NodeKey[] = [];
  for (let pos = start; pos < end; ) {
    let level = bitLength(end - pos) - 1;
    if (pos > 0) level = Math.min(level, trailingZeros(pos));
    const width = 2 ** level;
    keys.push({ level, index: pos / width });
    pos += width;
  }
  return keys;
}

/**
 * RFC 9162 §2.1.1 right-edge fold: MTH of a range whose complete subtrees are hashes[from..to) (largest first) is
 * H(h0, H(h1, … H(h_{k-2}, h_{k-1}))): the tree is left-full, so the smallest subtrees pair first.
 */
export function foldRight(hashes: readonly Uint8Array[], from = 0, to = hashes.length): Uint8Array {
  if (!(from >= 0 && from < to && to <= hashes.length)) {
    throw new AuditError('AUDIT_SIZE_INVALID', `cannot fold hashes [${from}, ${to}) of ${hashes.length}`);
  }
  let acc = hashes[to - 1]!;
  for (let i = to - 2; i >= from; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/**
 * The stored nodes that {@link nodesToStore} reads when leaf number `size` is appended: the left siblings that the new
 * leaf completes, lowest level first. An async store can fetch these (one `getMany`) before its append transaction
 * and hand `nodesToStore` a synchronous lookup.
 */
export function appendSiblingKeys(size: number): NodeKey[] {
  checkAppendSize(size);
  const keys: NodeKey[] = [];
  for (let level = 0, index = size; index % 2 === 1; level++, index = (index - 1) / 2) {
    keys.push({ level, index: index - 1 });
  }
  return keys;
}

/**
 * The nodes to insert when the leaf with hash `leaf` is appended as leaf number `size` (0-based, so the tree grows
 * from `size` to `size + 1` leaves): the leaf itself at level 0, then one parent per level while the node index is
 * odd, because an odd index is a right child whose left sibling is already complete. That is 1 + (trailing one bits
 * of `size`) nodes, amortised under 2 per append. `get` returns already-stored nodes and is synchronous so the
 * function can run inside a synchronous transaction (better-sqlite3); see {@link appendSiblingKeys}. Pure: it
 * writes nothing.
 *
 * @example
 * const rows = nodesToStore(3, leafHash(entry), (level, index) => table.get(level, index)); // levels 0, 1, 2
 */
export function nodesToStore(size: number, leaf: Uint8Array, get: (level: number, index: number) => Uint8Array): StoredNode[] {
  checkAppendSize(size);
  checkHash(leaf, 'leaf hash');
  const nodes: StoredNode[] = [{ level: 0, index: size, hash: leaf }];
  let hash = leaf;
  for (let level = 0, index = size; index % 2 === 1; ) {
    const left: unknown = get(level, index - 1);
    if (!isHash(left)) {
      throw new AuditError('AUDIT_NODE_INVALID', `node reader returned a non-hash for level ${level} index ${index - 1}`);
    }
    hash = nodeHash(left, hash);
    level++;
    index = (index - 1) / 2;
    nodes.push({ level, index, hash });
  }
  return nodes;
}

/**
 * RFC 9162 §2.1.1 MTH of the first `size` leaves, folded from the complete subtrees of the binary decomposition of
 * `size`: popcount(size) ≤ 53 node reads in one batch. Size 0 gives the empty root without reading.
 *
 * @example
 * const root = await rootFromNodes(checkpointSize, store);
 */
export async function rootFromNodes(size: number, reader: NodeReader): Promise<Uint8Array> {
  checkSize(size);
  if (size === 0) return emptyRoot();
  return foldRight(await readNodes(reader, rangeKeys(0, size)));
}

function checkAppendSize(size: number): void {
  checkSize(size, 'leaf number');
  // size + 1 leaves must still be a safe integer.
  if (size >= Number.MAX_SAFE_INTEGER) throw new AuditError('AUDIT_SIZE_INVALID', 'the tree is full');
}
