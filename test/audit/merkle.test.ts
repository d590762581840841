import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditError } from '../../src/audit/errors.js';
import {
  appendSiblingKeys,
  bitLength,
  checkHash,
  checkSize,
  emptyRoot,
  foldRight,
  leafHash,
  nodeHash,
  nodesToStore,
  popcount,
  rangeKeys,
  readNodes,
  rootFromNodes,
  shiftRight,
  trailingZeros,
  xor,
  type NodeKey,
  type NodeReader,
} from '../../src/audit/merkle.js';

// Vectors: test/fixtures/audit/tlog-vectors.json (see the README beside it for origins and licences).
interface Vectors {
  rfc6962ReferenceTree: { leafInputs: string[]; leafHashes: string[]; nodeHashesByLevel: string[][]; rootsBySize: string[] };
  derivedTree100: { rootsBySize: Record<string, string> };
  goSumdb: { recordHash: { input: string; hash_b64: string } };
}
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'audit', 'tlog-vectors.json'), 'utf8'),
) as Vectors;
const ref = vectors.rfc6962ReferenceTree;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An in-memory node table filled only through nodesToStore, as a store's append transaction would. */
class MemoryTree {
  readonly levels: Uint8Array[][] = [];
  size = 0;

  append(entry: Uint8Array): void {
    const rows = nodesToStore(this.size, leafHash(entry), (level, index) => this.node(level, index));
    for (const r of rows) (this.levels[r.level] ??= [])[r.index] = r.hash;
    this.size++;
  }

  node(level: number, index: number): Uint8Array {
    const h = this.levels[level]?.[index];
    if (!h) throw new Error(`no node ${level}/${index}`);
    return h;
  }

  /** A reader that sees the tree as it was at `size` leaves, and counts what it is asked for. */
  reader(size: number): NodeReader & { reads: number; calls: number } {
    const at = (level: number, index: number): Uint8Array => {
      if ((index + 1) * 2 ** level > size) throw new Error(`node ${level}/${index} is not complete at size ${size}`);
      return this.node(level, index);
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
}

function expectAuditError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe(code);
    return;
  }
  expect.fail(`expected AuditError ${code}`);
}

async function expectAuditRejection(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(AuditError);
  await expect(p).rejects.toMatchObject({ code });
}

describe('RFC 9162 §2.1.1 hashing', () => {
  it('hashes the reference tree leaves and interior nodes', () => {
    ref.leafInputs.forEach((input, i) => expect(hex(leafHash(unhex(input)))).toBe(ref.leafHashes[i]));
    for (let level = 1; level < ref.nodeHashesByLevel.length; level++) {
      const below = ref.nodeHashesByLevel[level - 1]!;
      ref.nodeHashesByLevel[level]!.forEach((h, j) => {
        expect(hex(nodeHash(unhex(below[2 * j]!), unhex(below[2 * j + 1]!)))).toBe(h);
      });
    }
  });

  it('emptyRoot is SHA-256 of the empty string and a fresh copy each call', () => {
    expect(hex(emptyRoot())).toBe(ref.rootsBySize[0]);
    const a = emptyRoot();
    a[0] = 0;
    expect(hex(emptyRoot())).toBe(ref.rootsBySize[0]);
  });

  it('reproduces the Go sumdb RecordHash golden (a leaf hash)', () => {
    const { input, hash_b64 } = vectors.goSumdb.recordHash;
    expect(Buffer.from(leafHash(utf8(input))).toString('base64')).toBe(hash_b64);
  });

  it('separates leaves from nodes: H(0x00‖l‖r) ≠ H(0x01‖l‖r)', () => {
    const l = leafHash(utf8('l'));
    const r = leafHash(utf8('r'));
    const concat = new Uint8Array([...l, ...r]);
    expect(hex(leafHash(concat))).not.toBe(hex(nodeHash(l, r)));
  });

  it('nodeHash refuses children that are not 32 bytes', () => {
    const h = leafHash(utf8('x'));
    expectAuditError(() => nodeHash(h.subarray(1), h), 'AUDIT_HASH_INVALID');
    expectAuditError(() => nodeHash(h, new Uint8Array(33)), 'AUDIT_HASH_INVALID');
  });

  it('hashes a leaf and a node in a few microseconds (printed, not asserted)', () => {
    const entry = new Uint8Array(512).fill(7);
    const h = leafHash(entry);
    const n = 20_000;
    let t = performance.now();
    for (let i = 0; i < n; i++) leafHash(entry);
    const leafUs = ((performance.now() - t) * 1000) / n;
    t = performance.now();
    for (let i = 0; i < n; i++) nodeHash(h, h);
    const nodeUs = ((performance.now() - t) * 1000) / n;
    console.log(`leafHash(512 B) ${leafUs.toFixed(2)} µs, nodeHash ${nodeUs.toFixed(2)} µs`);
    expect(leafUs).toBeGreaterThan(0);
  });
});

describe('safe-integer bit math', () => {
  const safe = fc.oneof(
    fc.integer({ min: 0, max: 2 ** 32 + 5 }),
    fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 52, Number.MAX_SAFE_INTEGER),
  );

  it('agrees with BigInt on bitLength, popcount, trailingZeros, xor and shiftRight', () => {
    fc.assert(
      fc.property(safe, safe, fc.integer({ min: 0, max: 60 }), (a, b, k) => {
        const A = BigInt(a);
        expect(bitLength(a)).toBe(A.toString(2).length - (a === 0 ? 1 : 0));
        expect(popcount(a)).toBe([...A.toString(2)].filter((c) => c === '1').length);
        if (a > 0) expect(trailingZeros(a)).toBe(A.toString(2).length - 1 - A.toString(2).lastIndexOf('1'));
        expect(xor(a, b)).toBe(Number(A ^ BigInt(b)));
        expect(shiftRight(a, k)).toBe(Number(A >> BigInt(k)));
      }),
      { seed: 9162, numRuns: 2000 },
    );
  });

  it('checkSize and checkHash reject hostile values with typed errors', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, -0.5]) expectAuditError(() => checkSize(bad), 'AUDIT_SIZE_INVALID');
    expect(() => checkSize(Number.MAX_SAFE_INTEGER)).not.toThrow();
    for (const bad of [new Uint8Array(31), new Uint8Array(33), 'ab'.repeat(16), null, [1, 2]]) {
      expectAuditError(() => checkHash(bad, 'x'), 'AUDIT_HASH_INVALID');
    }
  });
});

describe('stored complete subtrees', () => {
  it('rangeKeys is the binary decomposition of a range aligned like an RFC 9162 right subtree', () => {
    expect(rangeKeys(0, 0)).toEqual([]);
    expect(rangeKeys(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeKeys(8, 15)).toEqual([
      { level: 2, index: 2 },
      { level: 1, index: 6 },
      { level: 0, index: 14 },
    ]);
    expect(rangeKeys(2 ** 40, 2 ** 40 + 2 ** 39 + 1)).toEqual([
      { level: 39, index: 2 },
      { level: 0, index: 2 ** 40 + 2 ** 39 },
    ]);
  });

  it('nodesToStore writes exactly the reference tree node hashes, 1 + trailing ones per append', () => {
    const tree = new MemoryTree();
    for (let i = 0; i < ref.leafInputs.length; i++) {
      const keys = appendSiblingKeys(i);
      const asked: NodeKey[] = [];
      const rows = nodesToStore(i, leafHash(unhex(ref.leafInputs[i]!)), (level, index) => {
        asked.push({ level, index });
        return tree.node(level, index);
      });
      expect(asked).toEqual(keys);
      const trailingOnes = i.toString(2).length - i.toString(2).replace(/1+$/, '').length;
      expect(rows).toHaveLength(1 + trailingOnes);
      expect(rows.map((r) => r.level)).toEqual(rows.map((_, l) => l));
      for (const r of rows) (tree.levels[r.level] ??= [])[r.index] = r.hash;
      tree.size++;
    }
    ref.nodeHashesByLevel.forEach((level, l) => expect(tree.levels[l]!.map(hex)).toEqual(level));
  });

  it('rootFromNodes gives every reference root (sizes 0–8) and every derivedTree100 root, popcount(size) reads in one call', async () => {
    const small = new MemoryTree();
    ref.leafInputs.forEach((input) => small.append(unhex(input)));
    for (let n = 0; n <= 8; n++) expect(hex(await rootFromNodes(n, small.reader(n)))).toBe(ref.rootsBySize[n]);

    const tree = new MemoryTree();
    for (let n = 0; n <= 100; n++) {
      const reader = tree.reader(n);
      expect(hex(await rootFromNodes(n, reader))).toBe(vectors.derivedTree100.rootsBySize[String(n)]);
      expect(reader.reads).toBe(popcount(n));
      expect(reader.calls).toBe(n === 0 ? 0 : 1);
      if (n < 100) tree.append(utf8(`leaf ${n}`));
    }
  });

  it('rootFromNodes reads O(log n) nodes even at size 2^53 − 1', async () => {
    let reads = 0;
    const synth: NodeReader = {
      async get(level, index) {
        reads++;
        return leafHash(utf8(`${level}/${index}`));
      },
    };
    const root = await rootFromNodes(Number.MAX_SAFE_INTEGER, synth);
    expect(root).toHaveLength(32);
    expect(reads).toBe(53);
  });

  it('nodesToStore and appendSiblingKeys refuse bad sizes, bad leaves and a store that returns garbage', () => {
    const h = leafHash(utf8('x'));
    const get = (): Uint8Array => h;
    expectAuditError(() => nodesToStore(-1, h, get), 'AUDIT_SIZE_INVALID');
    expectAuditError(() => nodesToStore(Number.MAX_SAFE_INTEGER, h, get), 'AUDIT_SIZE_INVALID');
    expectAuditError(() => appendSiblingKeys(0.5), 'AUDIT_SIZE_INVALID');
    expectAuditError(() => nodesToStore(0, h.subarray(0, 31), get), 'AUDIT_HASH_INVALID');
    expectAuditError(() => nodesToStore(1, h, () => new Uint8Array(16)), 'AUDIT_NODE_INVALID');
    // Leaf 2^52 − 1 completes 52 subtrees (up to the whole first half of a 2^53 tree); the last appendable leaf
    // number is 2^53 − 2, which makes the size 2^53 − 1, the largest safe integer.
    expect(nodesToStore(2 ** 52 - 1, h, get).map((r) => r.level)).toEqual([...Array(53).keys()]);
    expect(nodesToStore(Number.MAX_SAFE_INTEGER - 1, h, get)).toHaveLength(1);
  });

  it('readNodes batches through getMany, falls back to get, and rejects a corrupt store', async () => {
    const h = leafHash(utf8('x'));
    const keys: NodeKey[] = [
      { level: 0, index: 0 },
      { level: 1, index: 3 },
    ];
    let gets = 0;
    expect(await readNodes({ get: async () => (gets++, h) }, keys)).toHaveLength(2);
    expect(gets).toBe(2);
    expect(await readNodes({ get: async () => expect.fail('no reads for no keys') }, [])).toEqual([]);
    const short: NodeReader = { get: async () => h, getMany: async () => [h] };
    await expectAuditRejection(readNodes(short, keys), 'AUDIT_NODE_INVALID');
    const bad: NodeReader = { get: async () => h, getMany: async () => [h, new Uint8Array(31)] };
    await expectAuditRejection(readNodes(bad, keys), 'AUDIT_NODE_INVALID');
    const missing: NodeReader = {
      get: async () => {
        throw new Error('absent');
      },
    };
    await expect(readNodes(missing, keys)).rejects.toThrow('absent');
  });

  it('foldRight refuses an empty range instead of returning undefined', () => {
    expectAuditError(() => foldRight([]), 'AUDIT_SIZE_INVALID');
  });
});
