import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditError } from '../../src/audit/errors.js';
import { emptyRoot, leafHash, nodeHash, nodesToStore, rootFromNodes, type NodeReader } from '../../src/audit/merkle.js';
import {
  assembleProof,
  consistencyProof,
  consistencyProofPlan,
  inclusionProof,
  inclusionProofPlan,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type Proof,
} from '../../src/audit/proof.js';

// Vectors: test/fixtures/audit/tlog-vectors.json (see the README beside it for origins and licences).
interface InclusionCase {
  leafIndex: number;
  treeSize: number;
  proof: string[];
}
interface ConsistencyCase {
  size1: number;
  size2: number;
  proof: string[];
}
interface Vectors {
  rfc6962ReferenceTree: {
    leafInputs: string[];
    rootsBySize: string[];
    inclusion: InclusionCase[];
    consistency: ConsistencyCase[];
    publishedInclusion: InclusionCase[];
    publishedConsistency: ConsistencyCase[];
  };
  transparencyDevMerkleProbes: {
    inclusion: { id: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean }[];
    consistency: { id: string; size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean }[];
  };
  derivedTree100: {
    rootsBySize: Record<string, string>;
    inclusionSamples: (InclusionCase & { leafHash: string; root: string })[];
    consistencySamples: (ConsistencyCase & { root1: string; root2: string })[];
  };
  rekorV1RealInclusionProofs: {
    entries: {
      file: string;
      globalLogIndex: string;
      leaf_b64: string;
      leafHash: string;
      shardLeafIndex: number;
      treeSize: number;
      rootHash: string;
      proof: string[];
      checkpoint: string;
    }[];
  };
}
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'audit', 'tlog-vectors.json'), 'utf8'),
) as Vectors;
const ref8 = vectors.rfc6962ReferenceTree;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const log2 = Math.log2;

/** 'ok', or the AuditError code. Anything else thrown (a TypeError, a RangeError) fails the test. */
function outcome(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof AuditError) return err.code;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Naive reference, straight from the RFC 9162 §2.1 text, generic over the hash so it can also run symbolically.
// ---------------------------------------------------------------------------------------------------------------

/** §2.1.1: k is the largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class Reference<T> {
  private readonly memo = new Map<number, T>();

  constructor(
    private readonly leaves: readonly T[],
    private readonly H: (l: T, r: T) => T,
    private readonly empty: T,
  ) {}

  /** §2.1.1 MTH(D[lo:hi]) (memoised: the recursion is the definition, the cache only saves time). */
  mth(lo: number, hi: number): T {
    const n = hi - lo;
    if (n === 0) return this.empty;
    if (n === 1) return this.leaves[lo]!;
    const key = lo * 2 ** 20 + hi;
    let h = this.memo.get(key);
    if (h === undefined) {
      const k = split(n);
      h = this.H(this.mth(lo, lo + k), this.mth(lo + k, hi));
      this.memo.set(key, h);
    }
    return h;
  }

  /** §2.1.3.1 PATH(m, D[lo:hi]). */
  path(m: number, lo: number, hi: number): T[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = split(n);
    return m < k ? [...this.path(m, lo, lo + k), this.mth(lo + k, hi)] : [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  /** §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
  proof(m: number, n: number): T[] {
    return this.subproof(m, 0, n, true);
  }

  private subproof(m: number, lo: number, hi: number, b: boolean): T[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = split(n);
    return m <= k
      ? [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)]
      : [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }
}

/** §2.1.3.2 inclusion verification, transcribed step by step (BigInt, so nothing is shared with the code under test). */
function rfcVerifyInclusion<T>(index: number, size: number, leaf: T, path: readonly T[], root: T, H: (l: T, r: T) => T): boolean {
  if (index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = H(p, r);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = H(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r === root;
}

/** §2.1.4.2 consistency verification, transcribed; plus this project's rules for size 0 and equal sizes. */
function rfcVerifyConsistency<T>(first: number, second: number, firstHash: T, secondHash: T, path: readonly T[], H: (l: T, r: T) => T): boolean {
  if (first <= 0 || first > second) return false;
  if (first === second) return path.length === 0 && firstHash === secondHash;
  if (path.length === 0) return false; // step 1
  const p = (first & (first - 1)) === 0 ? [firstHash, ...path] : [...path]; // step 2
  let fn = BigInt(first - 1); // step 3
  let sn = BigInt(second - 1);
  while ((fn & 1n) === 1n) {
    // step 4
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = p[0] as T; // step 5
  let sr = p[0] as T;
  for (const c of p.slice(1)) {
    // step 6
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = H(c, fr);
      sr = H(c, sr);
      if ((fn & 1n) === 0n) {
        while (!((fn & 1n) === 1n || fn === 0n)) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = H(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr === firstHash && sr === secondHash && sn === 0n; // step 7
}

// Symbolic hashing: each distinct (left, right) pair gets a short interned id, so two values are equal exactly when
// their hash trees are the same. Real SHA-256 values are equal exactly when these are (barring a collision), which
// lets a test say which mutated claims a correct verifier *must* accept and which it must reject.
const interned = new Map<string, string>();
const symH = (l: string, r: string): string => {
  const k = `${l},${r}`;
  let id = interned.get(k);
  if (id === undefined) interned.set(k, (id = `#${interned.size}`));
  return id;
};
// The RFC-text verifiers compare with ===, so real hashes go through them as hex strings.
const hexH = (l: string, r: string): string => hex(nodeHash(unhex(l), unhex(r)));

// ---------------------------------------------------------------------------------------------------------------
// A log of N entries `leaf 0` … filled only through nodesToStore, and a reader that sees it at any earlier size.
// ---------------------------------------------------------------------------------------------------------------

const N = 2048;
const entries = Array.from({ length: N }, (_, i) => utf8(`leaf ${i}`));
const levels: Uint8Array[][] = [];
const real = new Reference<Uint8Array>(entries.map(leafHash), nodeHash, emptyRoot());
const sym = new Reference<string>(entries.map((_, i) => `L${i}`), symH, 'E');

function buildLog(count: number, into: Uint8Array[][], entry: (i: number) => Uint8Array): void {
  for (let i = 0; i < count; i++) {
    for (const r of nodesToStore(i, leafHash(entry(i)), (l, j) => into[l]![j]!)) (into[r.level] ??= [])[r.index] = r.hash;
  }
}

type CountingReader = NodeReader & { reads: number; calls: number };

function readerAt(store: Uint8Array[][], size: number): CountingReader {
  const at = (level: number, index: number): Uint8Array => {
    // A node that is not complete at `size` does not exist yet for a log of that size.
    if ((index + 1) * 2 ** level > size) throw new Error(`node ${level}/${index} is not complete at size ${size}`);
    return store[level]![index]!;
  };
  return {
    reads: 0,
    calls: 0,
    async get(level, index) {
      this.calls++;
      this.reads++;
      return at(level, index);
    },
    async getMany(keys) {
      this.calls++;
      this.reads += keys.length;
      return keys.map((k) => at(k.level, k.index));
    },
  };
}

const readBound = (n: number): number => 2 * log2(n) + 2;

beforeAll(() => buildLog(N, levels, (i) => entries[i]!));

// ---------------------------------------------------------------------------------------------------------------

describe('RFC 6962 reference tree (8 leaves): every root, inclusion and consistency proof', () => {
  const store: Uint8Array[][] = [];
  beforeAll(() => buildLog(8, store, (i) => unhex(ref8.leafInputs[i]!)));
  const root = (n: number): Uint8Array => unhex(ref8.rootsBySize[n]!);
  const leaf = (i: number): Uint8Array => leafHash(unhex(ref8.leafInputs[i]!));

  it('roots for sizes 0–8 from stored nodes', async () => {
    for (let n = 0; n <= 8; n++) expect(hex(await rootFromNodes(n, readerAt(store, n)))).toBe(ref8.rootsBySize[n]);
  });

  it.each(ref8.inclusion)('inclusion of leaf $leafIndex in size $treeSize: generated and verified', async ({ leafIndex, treeSize, proof }) => {
    const got = await inclusionProof(leafIndex, treeSize, readerAt(store, treeSize));
    expect(got.map(hex)).toEqual(proof);
    verifyInclusion(leafIndex, treeSize, leaf(leafIndex), proof.map(unhex), root(treeSize));
  });

  it.each(ref8.consistency)('consistency $size1 → $size2: generated and verified', async ({ size1, size2, proof }) => {
    const got = await consistencyProof(size1, size2, readerAt(store, size2));
    expect(got.map(hex)).toEqual(proof);
    verifyConsistency(size1, size2, root(size1), root(size2), proof.map(unhex));
  });

  it('matches the published proofgen subsets', async () => {
    for (const c of ref8.publishedInclusion) {
      expect((await inclusionProof(c.leafIndex, c.treeSize, readerAt(store, c.treeSize))).map(hex)).toEqual(c.proof);
    }
    for (const c of ref8.publishedConsistency) {
      expect((await consistencyProof(c.size1, c.size2, readerAt(store, c.size2))).map(hex)).toEqual(c.proof);
    }
  });
});

describe('transparency-dev/merkle probe vectors', () => {
  const probes = vectors.transparencyDevMerkleProbes;

  it('has the 98 + 98 cases', () => {
    expect(probes.inclusion).toHaveLength(98);
    expect(probes.consistency).toHaveLength(98);
  });

  it.each(probes.inclusion)('$id (wantErr $wantErr)', (c) => {
    const got = outcome(() => verifyInclusion(c.leafIdx, c.treeSize, unb64(c.leafHash), (c.proof ?? []).map(unb64), unb64(c.root)));
    if (c.wantErr) expect(got).not.toBe('ok');
    else expect(got).toBe('ok');
  });

  it.each(probes.consistency)('$id $size1 → $size2 (wantErr $wantErr)', (c) => {
    const got = outcome(() => verifyConsistency(c.size1, c.size2, unb64(c.root1), unb64(c.root2), (c.proof ?? []).map(unb64)));
    if (c.wantErr) expect(got).not.toBe('ok');
    else expect(got).toBe('ok');
  });
});

describe('derivedTree100 (regression data)', () => {
  const d = vectors.derivedTree100;

  it('roots for sizes 0–100', async () => {
    for (let n = 0; n <= 100; n++) expect(hex(await rootFromNodes(n, readerAt(levels, n)))).toBe(d.rootsBySize[String(n)]);
  });

  it.each(d.inclusionSamples)('inclusion of leaf $leafIndex in size $treeSize', async (s) => {
    expect((await inclusionProof(s.leafIndex, s.treeSize, readerAt(levels, s.treeSize))).map(hex)).toEqual(s.proof);
    expect(hex(leafHash(entries[s.leafIndex]!))).toBe(s.leafHash);
    verifyInclusion(s.leafIndex, s.treeSize, unhex(s.leafHash), s.proof.map(unhex), unhex(s.root));
  });

  it.each(d.consistencySamples)('consistency $size1 → $size2', async (s) => {
    expect((await consistencyProof(s.size1, s.size2, readerAt(levels, s.size2))).map(hex)).toEqual(s.proof);
    verifyConsistency(s.size1, s.size2, unhex(s.root1), unhex(s.root2), s.proof.map(unhex));
  });
});

describe('real Rekor v1 inclusion proofs', () => {
  it.each(vectors.rekorV1RealInclusionProofs.entries)('$file: shard index $shardLeafIndex of $treeSize', (e) => {
    const leaf = leafHash(unb64(e.leaf_b64));
    expect(hex(leaf)).toBe(e.leafHash);
    const [, size, rootB64] = e.checkpoint.split('\n');
    expect(Number(size)).toBe(e.treeSize);
    expect(hex(unb64(rootB64!))).toBe(e.rootHash);
    const proof = e.proof.map(unhex);
    verifyInclusion(e.shardLeafIndex, e.treeSize, leaf, proof, unhex(e.rootHash));
    // Our generator would ask for exactly as many proof elements as Rekor returned.
    expect(inclusionProofPlan(e.shardLeafIndex, e.treeSize).spans).toHaveLength(e.proof.length);
    // The global log index is not a position in this shard's tree.
    expect(outcome(() => verifyInclusion(Number(e.globalLogIndex), e.treeSize, leaf, proof, unhex(e.rootHash)))).not.toBe('ok');
    const tampered = unb64(e.leaf_b64);
    tampered[tampered.length >> 1]! ^= 1;
    expect(outcome(() => verifyInclusion(e.shardLeafIndex, e.treeSize, leafHash(tampered), proof, unhex(e.rootHash)))).toBe(
      'AUDIT_ROOT_MISMATCH',
    );
  });
});

describe('stored-node proofs against the naive RFC 9162 reference', () => {
  it('every inclusion and consistency proof for sizes 1–64 equals the reference and verifies both ways', async () => {
    for (let n = 1; n <= 64; n++) {
      const root = real.mth(0, n);
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, readerAt(levels, n));
        expect(proof.map(hex)).toEqual(real.path(i, 0, n).map(hex));
        verifyInclusion(i, n, real.mth(i, i + 1), proof, root);
        expect(rfcVerifyInclusion(i, n, hex(real.mth(i, i + 1)), proof.map(hex), hex(root), hexH)).toBe(true);
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, readerAt(levels, n));
        expect(proof.map(hex)).toEqual(real.proof(m, n).map(hex));
        verifyConsistency(m, n, real.mth(0, m), root, proof);
        expect(rfcVerifyConsistency(m, n, hex(real.mth(0, m)), hex(root), proof.map(hex), hexH)).toBe(true);
      }
    }
  });

  it('property: random sizes up to 2,000 — inclusion proofs equal the reference, verify, and cost ≤ 2·log2(n)+2 reads in one call', async () => {
    const arb = fc.integer({ min: 1, max: 2000 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 })));
    await fc.assert(
      fc.asyncProperty(arb, async ([n, i]) => {
        const reader = readerAt(levels, n);
        const proof = await inclusionProof(i, n, reader);
        expect(proof.map(hex)).toEqual(real.path(i, 0, n).map(hex));
        expect(reader.calls).toBeLessThanOrEqual(1);
        expect(reader.reads).toBeLessThanOrEqual(readBound(n));
        verifyInclusion(i, n, real.mth(i, i + 1), proof, real.mth(0, n));
        expect(hex(await rootFromNodes(n, readerAt(levels, n)))).toBe(hex(real.mth(0, n)));
      }),
      { seed: 6962, numRuns: 400 },
    );
  });

  it('property: random m ≤ n up to 2,000 — consistency proofs equal the reference, verify, and cost ≤ 2·log2(n)+2 reads in one call', async () => {
    const arb = fc.integer({ min: 1, max: 2000 }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));
    await fc.assert(
      fc.asyncProperty(arb, async ([m, n]) => {
        const reader = readerAt(levels, n);
        const proof = await consistencyProof(m, n, reader);
        expect(proof.map(hex)).toEqual(real.proof(m, n).map(hex));
        expect(reader.calls).toBeLessThanOrEqual(1);
        expect(reader.reads).toBeLessThanOrEqual(readBound(n));
        verifyConsistency(m, n, real.mth(0, m), real.mth(0, n), proof);
      }),
      { seed: 9162, numRuns: 400 },
    );
  });

  it('plans never exceed 2·log2(n)+2 keys and fold at most one ephemeral node (all plans for n ≤ 400)', () => {
    const over: string[] = [];
    for (let n = 1; n <= 400; n++) {
      for (let i = 0; i < n; i++) {
        for (const [what, plan] of [
          ['inclusion', inclusionProofPlan(i, n)],
          ['consistency', consistencyProofPlan(i + 1, n)],
        ] as const) {
          let ephemeral = 0;
          for (const s of plan.spans) if (s > 1) ephemeral++;
          if (plan.keys.length > readBound(n) || ephemeral > 1) over.push(`${what} ${i}/${n}`);
        }
      }
    }
    expect(over).toEqual([]);
  });

  it('a 70,001-leaf log: proofs verify against the root folded from stored nodes and equal the reference', async () => {
    const size = 70_001;
    const big: Uint8Array[][] = [];
    const entry = (i: number): Uint8Array => utf8(`big ${i}`);
    buildLog(size, big, entry);
    const bigRef = new Reference<Uint8Array>(Array.from({ length: size }, (_, i) => leafHash(entry(i))), nodeHash, emptyRoot());
    const root = await rootFromNodes(size, readerAt(big, size));
    expect(hex(root)).toBe(hex(bigRef.mth(0, size)));
    for (const i of [0, 1, 65_535, 65_536, 69_999, 70_000, 12_345]) {
      const proof = await inclusionProof(i, size, readerAt(big, size));
      expect(proof.map(hex)).toEqual(bigRef.path(i, 0, size).map(hex));
      verifyInclusion(i, size, leafHash(entry(i)), proof, root);
    }
    for (const m of [1, 2, 3, 65_535, 65_536, 65_537, 70_000, 70_001]) {
      const proof = await consistencyProof(m, size, readerAt(big, size));
      expect(proof.map(hex)).toEqual(bigRef.proof(m, size).map(hex));
      verifyConsistency(m, size, await rootFromNodes(m, readerAt(big, m)), root, proof);
    }
  });
});

describe('O(log n) node reads at size 10,000,000', () => {
  const n = 10_000_000;
  // Synthesised nodes: no storage and no hashing, so the timing is the proof machinery alone.
  function synthReader(): CountingReader {
    const make = (level: number, index: number): Uint8Array => {
      const h = new Uint8Array(32);
      new DataView(h.buffer).setUint32(0, level);
      new DataView(h.buffer).setFloat64(4, index);
      return h;
    };
    return {
      reads: 0,
      calls: 0,
      async get(level, index) {
        this.calls++;
        this.reads++;
        return make(level, index);
      },
      async getMany(keys) {
        this.calls++;
        this.reads += keys.length;
        for (const k of keys) if ((k.index + 1) * 2 ** k.level > n) throw new Error(`incomplete node ${k.level}/${k.index}`);
        return keys.map((k) => make(k.level, k.index));
      },
    };
  }

  it(`inclusion and consistency proofs read ≤ 2·log2(n)+2 = ${Math.floor(readBound(n))} nodes in one call`, async () => {
    const rng = fc.sample(fc.integer({ min: 0, max: n - 1 }), { seed: 1, numRuns: 200 });
    const indexes = [0, 1, n - 1, n - 2, n / 2, 2 ** 23 - 1, 2 ** 23, 9_999_872, ...rng];
    let worst = 0;
    for (const i of indexes) {
      const reader = synthReader();
      const proof = await inclusionProof(i, n, reader);
      expect(reader.calls).toBe(1);
      expect(reader.reads).toBeLessThanOrEqual(readBound(n));
      // The verifier accepts the shape: exactly inner + border hashes for (i, n).
      expect(rootFromInclusionProof(i, n, proof[0] ?? new Uint8Array(32), proof)).toHaveLength(32);
      worst = Math.max(worst, reader.reads);
    }
    const sizes1 = [1, 2, n - 1, n, 2 ** 23, 2 ** 23 + 1, ...rng.map((x) => x + 1)];
    for (const m of sizes1) {
      const reader = synthReader();
      await consistencyProof(m, n, reader);
      expect(reader.calls).toBe(m === n ? 0 : 1);
      expect(reader.reads).toBeLessThanOrEqual(readBound(n));
      worst = Math.max(worst, reader.reads);
    }
    // Timing only (printed, never asserted): plan + one batched read + folding the ephemeral node.
    const t0 = performance.now();
    for (const i of indexes) await inclusionProof(i, n, synthReader());
    const inclusionMs = (performance.now() - t0) / indexes.length;
    const t1 = performance.now();
    for (const m of sizes1) await consistencyProof(m, n, synthReader());
    const consistencyMs = (performance.now() - t1) / sizes1.length;
    console.log(
      `size ${n}: worst ${worst} node reads (bound ${Math.floor(readBound(n))}); ` +
        `inclusion proof ${(inclusionMs * 1000).toFixed(0)} µs, consistency proof ${(consistencyMs * 1000).toFixed(0)} µs per proof`,
    );
  });
});

describe('tampering is rejected', () => {
  const leaves8 = ref8.leafInputs.map((x) => leafHash(unhex(x)));
  const roots8 = ref8.rootsBySize.map(unhex);
  const leaf8 = (i: number): Uint8Array => leaves8[i]!;
  const root8 = (n: number): Uint8Array => roots8[n]!;

  // 'all': every other value of every byte; 'bits': each of the 8 bit flips of every byte; 'bit': one bit flip per
  // byte, walking the bit position along the hash.
  function* byteMutations(proof: Proof, how: 'all' | 'bits' | 'bit'): Generator<Uint8Array[]> {
    for (let e = 0; e < proof.length; e++) {
      for (let b = 0; b < 32; b++) {
        const masks =
          how === 'all' ? Array.from({ length: 255 }, (_, v) => v + 1) : how === 'bits' ? [1, 2, 4, 8, 16, 32, 64, 128] : [1 << (b % 8)];
        for (const mask of masks) {
          const copy = proof.map((h) => new Uint8Array(h));
          copy[e]![b]! ^= mask;
          yield copy;
        }
      }
    }
  }

  it('every bit flip in every proof hash of every reference-tree proof; a bit flip in every byte of leaf hashes and roots', () => {
    // Outcomes are tallied and asserted once: an expect() per mutation would dominate the run time.
    const tally: Record<string, number> = {};
    const note = (got: string): void => void (tally[got] = (tally[got] ?? 0) + 1);
    let tried = 0;
    for (const c of ref8.inclusion) {
      const proof = c.proof.map(unhex);
      const [i, n] = [c.leafIndex, c.treeSize];
      for (const bad of byteMutations(proof, 'bits')) {
        note(outcome(() => verifyInclusion(i, n, leaf8(i), bad, root8(n))));
        tried++;
      }
      for (const [bad] of byteMutations([leaf8(i)], 'bit')) {
        note(outcome(() => verifyInclusion(i, n, bad!, proof, root8(n))));
      }
      for (const [bad] of byteMutations([root8(n)], 'bit')) {
        note(outcome(() => verifyInclusion(i, n, leaf8(i), proof, bad!)));
      }
    }
    for (const c of ref8.consistency) {
      const proof = c.proof.map(unhex);
      const [m, n] = [c.size1, c.size2];
      for (const bad of byteMutations(proof, 'bits')) {
        note(outcome(() => verifyConsistency(m, n, root8(m), root8(n), bad)));
        tried++;
      }
      for (const [bad] of byteMutations([root8(m)], 'bit')) {
        note(outcome(() => verifyConsistency(m, n, bad!, root8(n), proof)));
        note(outcome(() => verifyConsistency(m, n, root8(m), bad!, proof)));
      }
    }
    expect(Object.keys(tally)).toEqual(['AUDIT_ROOT_MISMATCH']);
    expect(tried).toBeGreaterThan(20_000);
  });

  it('every single-byte change (all 255 other values) of a 3-hash inclusion and consistency proof', () => {
    const tally: Record<string, number> = {};
    const note = (got: string): void => void (tally[got] = (tally[got] ?? 0) + 1);
    const inc = ref8.inclusion.find((c) => c.leafIndex === 5 && c.treeSize === 8)!;
    for (const bad of byteMutations(inc.proof.map(unhex), 'all')) {
      note(outcome(() => verifyInclusion(5, 8, leaf8(5), bad, root8(8))));
    }
    const con = ref8.consistency.find((c) => c.size1 === 6 && c.size2 === 8)!;
    for (const bad of byteMutations(con.proof.map(unhex), 'all')) {
      note(outcome(() => verifyConsistency(6, 8, root8(6), root8(8), bad)));
    }
    expect(tally).toEqual({ AUDIT_ROOT_MISMATCH: 2 * 3 * 32 * 255 });
  });

  it('dropped, added, duplicated, truncated and reordered proof hashes', () => {
    const proof = ref8.inclusion.find((c) => c.leafIndex === 2 && c.treeSize === 7)!.proof.map(unhex);
    const run = (p: Uint8Array[]): string => outcome(() => verifyInclusion(2, 7, leaf8(2), p, root8(7)));
    expect(run(proof)).toBe('ok');
    for (let e = 0; e < proof.length; e++) {
      expect(run(proof.filter((_, j) => j !== e))).toBe('AUDIT_PROOF_INVALID');
      expect(run([...proof.slice(0, e), proof[e]!, ...proof.slice(e)])).toBe('AUDIT_PROOF_INVALID');
      expect(run(proof.map((h, j) => (j === e ? h.subarray(0, 31) : h)))).toBe('AUDIT_HASH_INVALID');
      expect(run(proof.map((h, j) => (j === e ? new Uint8Array([...h, 0]) : h)))).toBe('AUDIT_HASH_INVALID');
    }
    expect(run([...proof, root8(7)])).toBe('AUDIT_PROOF_INVALID');
    expect(run([root8(7), ...proof])).toBe('AUDIT_PROOF_INVALID');
    expect(run([proof[1]!, proof[0]!, proof[2]!])).toBe('AUDIT_ROOT_MISMATCH');
    const cproof = ref8.consistency.find((c) => c.size1 === 3 && c.size2 === 7)!.proof.map(unhex);
    const crun = (p: Uint8Array[]): string => outcome(() => verifyConsistency(3, 7, root8(3), root8(7), p));
    expect(crun(cproof)).toBe('ok');
    expect(crun(cproof.slice(1))).toBe('AUDIT_PROOF_INVALID');
    expect(crun([...cproof, cproof[0]!])).toBe('AUDIT_PROOF_INVALID');
    expect(crun([cproof[1]!, cproof[0]!, ...cproof.slice(2)])).toBe('AUDIT_ROOT_MISMATCH');
    expect(outcome(() => verifyConsistency(3, 7, root8(7), root8(3), cproof))).toBe('AUDIT_ROOT_MISMATCH');
  });

  it('property: a random byte change anywhere in a random proof of a tree up to 2,000 leaves is rejected', async () => {
    const arb = fc.record({
      n: fc.integer({ min: 2, max: 2000 }),
      pick: fc.nat(),
      byte: fc.integer({ min: 0, max: 31 }),
      mask: fc.integer({ min: 1, max: 255 }),
      kind: fc.constantFrom('inclusion', 'consistency'),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ n, pick, byte, mask, kind }) => {
        const x = pick % n; // leaf index, or size1 − 1
        const proof =
          kind === 'inclusion' ? await inclusionProof(x, n, readerAt(levels, n)) : await consistencyProof(x + 1, n, readerAt(levels, n));
        if (proof.length === 0) return;
        const bad = proof.map((h) => new Uint8Array(h));
        bad[pick % bad.length]![byte]! ^= mask;
        const got =
          kind === 'inclusion'
            ? outcome(() => verifyInclusion(x, n, real.mth(x, x + 1), bad, real.mth(0, n)))
            : outcome(() => verifyConsistency(x + 1, n, real.mth(0, x + 1), real.mth(0, n), bad));
        expect(got).toBe('AUDIT_ROOT_MISMATCH');
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  // Index ± 1 and size ± 1: a proof alone does not bind the tree size (the signed checkpoint does), so a verifier must
  // accept a mutated claim exactly when it is indistinguishable from the original: when the RFC 9162 §2.1.3.2 /
  // §2.1.4.2 algorithm, run on symbolic hashes, computes the very same hash tree. This checks our verifier against
  // that ground truth for every (i, n) and (m, n) with n ≤ 64, once with the original roots and once with the true
  // roots of the mutated sizes, and prints how many mutated claims are legitimately indistinguishable.
  it('index ± 1 and size ± 1 are rejected unless the mutated claim is cryptographically the same claim', async () => {
    const M = 64;
    const accepted: Record<string, number> = {};
    const wrong: string[] = [];
    let tried = 0;
    const check = (label: string, expected: boolean, got: string): void => {
      tried++;
      if ((got === 'ok') !== expected) wrong.push(`${label}: expected ${expected ? 'ok' : 'rejection'}, got ${got}`);
      if (got === 'ok') accepted[label] = (accepted[label] ?? 0) + 1;
    };
    for (let n = 1; n <= M; n++) {
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, readerAt(levels, n));
        const sproof = sym.path(i, 0, n);
        const mutations = [['index-1', i - 1, n], ['index+1', i + 1, n], ['size-1', i, n - 1], ['size+1', i, n + 1]] as const;
        for (const [what, i2, n2] of mutations) {
          const same = rfcVerifyInclusion(i2, n2, sym.mth(i, i + 1), sproof, sym.mth(0, n), symH);
          check(`inclusion ${what}, same root`, same, outcome(() => verifyInclusion(i2, n2, real.mth(i, i + 1), proof, real.mth(0, n))));
          if (n2 < 1) continue;
          const truth = rfcVerifyInclusion(i2, n2, sym.mth(i, i + 1), sproof, sym.mth(0, n2), symH);
          check(`inclusion ${what}, its true root`, truth, outcome(() => verifyInclusion(i2, n2, real.mth(i, i + 1), proof, real.mth(0, n2))));
        }
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, readerAt(levels, n));
        const sproof = sym.proof(m, n);
        const mutations = [['size1-1', m - 1, n], ['size1+1', m + 1, n], ['size2-1', m, n - 1], ['size2+1', m, n + 1]] as const;
        for (const [what, m2, n2] of mutations) {
          const same = rfcVerifyConsistency(m2, n2, sym.mth(0, m), sym.mth(0, n), sproof, symH);
          check(`consistency ${what}, same roots`, same, outcome(() => verifyConsistency(m2, n2, real.mth(0, m), real.mth(0, n), proof)));
          if (m2 < 0 || n2 < 0) continue;
          const truth = rfcVerifyConsistency(m2, n2, sym.mth(0, m2), sym.mth(0, n2), sproof, symH);
          check(
            `consistency ${what}, their true roots`,
            truth,
            outcome(() => verifyConsistency(m2, n2, real.mth(0, m2), real.mth(0, n2), proof)),
          );
        }
      }
    }
    console.log(`index/size ±1 mutations: ${tried} tried; accepted (all indistinguishable claims): ${JSON.stringify(accepted)}`);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(tried).toBeGreaterThan(25_000);
    // A mutated index always changes the hash tree; only a size change can leave it the same.
    expect(Object.keys(accepted).filter((k) => k.includes('index'))).toEqual([]);
  });
});

describe('input checks and error codes', () => {
  const h = leafHash(utf8('x'));
  const root = real.mth(0, 5);

  it('inclusion: sizes, indexes, hash lengths and proof shape have their own codes', () => {
    const proof = real.path(2, 0, 5);
    expect(outcome(() => verifyInclusion(2, 5, real.mth(2, 3), proof, root))).toBe('ok');
    expect(outcome(() => verifyInclusion(2, NaN, h, proof, root))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyInclusion(2, -5, h, proof, root))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyInclusion(2, 2 ** 53, h, proof, root))).toBe('AUDIT_SIZE_INVALID');
    for (const i of [5, 6, -1, 1.5, NaN, Number.MAX_SAFE_INTEGER]) {
      expect(outcome(() => verifyInclusion(i, 5, h, proof, root))).toBe('AUDIT_INDEX_INVALID');
    }
    expect(outcome(() => verifyInclusion(0, 0, h, [], emptyRoot()))).toBe('AUDIT_INDEX_INVALID');
    expect(outcome(() => verifyInclusion(2, 5, h.subarray(1), proof, root))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyInclusion(2, 5, real.mth(2, 3), proof, root.subarray(1)))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyInclusion(2, 5, h, 'not a proof' as unknown as Proof, root))).toBe('AUDIT_PROOF_INVALID');
    expect(outcome(() => verifyInclusion(2, 5, h, ['00'.repeat(32)] as unknown as Proof, root))).toBe('AUDIT_PROOF_INVALID');
    expect(outcome(() => verifyInclusion(2, 5, h, [...proof.slice(1), 'x' as unknown as Uint8Array], root))).toBe(
      'AUDIT_HASH_INVALID',
    );
    // A hostile, enormous proof is refused by its length alone.
    const huge = new Array<Uint8Array>(5_000_000).fill(h);
    const t = performance.now();
    expect(outcome(() => verifyInclusion(2, 5, h, huge, root))).toBe('AUDIT_PROOF_INVALID');
    expect(performance.now() - t).toBeLessThan(1000);
    expect(hex(rootFromInclusionProof(2, 5, real.mth(2, 3), proof))).toBe(hex(root));
  });

  it('inclusion at sizes near 2^53 checks shape without overflowing', () => {
    const n = Number.MAX_SAFE_INTEGER;
    const plan = inclusionProofPlan(n - 1, n);
    expect(plan.spans).toHaveLength(52);
    const proof = Array.from({ length: 52 }, () => h);
    expect(outcome(() => verifyInclusion(n - 1, n, h, proof, h))).toBe('AUDIT_ROOT_MISMATCH');
    expect(outcome(() => verifyInclusion(n - 1, n, h, proof.slice(1), h))).toBe('AUDIT_PROOF_INVALID');
    expect(outcome(() => verifyInclusion(0, n, h, Array.from({ length: inclusionProofPlan(0, n).spans.length }, () => h), h))).toBe(
      'AUDIT_ROOT_MISMATCH',
    );
  });

  it('consistency: size 0, reversed sizes, equal sizes, empty proofs and bad roots', () => {
    const r3 = real.mth(0, 3);
    const proof = real.proof(3, 5);
    expect(outcome(() => verifyConsistency(3, 5, r3, root, proof))).toBe('ok');
    expect(outcome(() => verifyConsistency(0, 0, emptyRoot(), emptyRoot(), []))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyConsistency(0, 5, emptyRoot(), root, proof))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyConsistency(5, 3, root, r3, proof))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyConsistency(3, 2 ** 53, r3, root, proof))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyConsistency(1.5, 5, r3, root, proof))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => verifyConsistency(5, 5, root, root, []))).toBe('ok');
    expect(outcome(() => verifyConsistency(5, 5, root, new Uint8Array(root), []))).toBe('ok');
    expect(outcome(() => verifyConsistency(5, 5, root, r3, []))).toBe('AUDIT_ROOT_MISMATCH');
    expect(outcome(() => verifyConsistency(5, 5, root, root, [root]))).toBe('AUDIT_PROOF_INVALID');
    expect(outcome(() => verifyConsistency(5, 5, root, 'x' as unknown as Uint8Array, []))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyConsistency(3, 5, r3, root, []))).toBe('AUDIT_PROOF_INVALID');
    expect(outcome(() => verifyConsistency(3, 5, r3.subarray(2), root, proof))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyConsistency(3, 5, r3, new Uint8Array(31), proof))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyConsistency(3, 5, r3, root, proof.map((p, j) => (j === 1 ? p.subarray(4) : p))))).toBe('AUDIT_HASH_INVALID');
    expect(outcome(() => verifyConsistency(3, 5, root, root, proof))).toBe('AUDIT_ROOT_MISMATCH');
    expect(outcome(() => verifyConsistency(3, 5, r3, r3, proof))).toBe('AUDIT_ROOT_MISMATCH');
  });

  it('generation refuses impossible requests and surfaces store failures', async () => {
    expect(outcome(() => inclusionProofPlan(5, 5))).toBe('AUDIT_INDEX_INVALID');
    expect(outcome(() => inclusionProofPlan(0, 0))).toBe('AUDIT_INDEX_INVALID');
    expect(outcome(() => inclusionProofPlan(0, -1))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => consistencyProofPlan(0, 5))).toBe('AUDIT_SIZE_INVALID');
    expect(outcome(() => consistencyProofPlan(6, 5))).toBe('AUDIT_SIZE_INVALID');
    expect(consistencyProofPlan(5, 5)).toEqual({ keys: [], spans: [] });
    expect(inclusionProofPlan(0, 1)).toEqual({ keys: [], spans: [] });
    // Asking about a size the log has not reached: the reader's own error comes through unchanged.
    await expect(inclusionProof(3, 10, readerAt(levels, 9))).rejects.toThrow('not complete at size 9');
    const corrupt: NodeReader = { get: async () => new Uint8Array(8) };
    await expect(consistencyProof(3, 10, corrupt)).rejects.toMatchObject({ code: 'AUDIT_NODE_INVALID' });
    const plan = inclusionProofPlan(3, 10);
    expect(outcome(() => assembleProof(plan, []))).toBe('AUDIT_NODE_INVALID');
    expect(outcome(() => assembleProof(plan, plan.keys.map(() => new Uint8Array(31))))).toBe('AUDIT_NODE_INVALID');
  });
});
