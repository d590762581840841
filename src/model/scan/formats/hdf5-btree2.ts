import { UNDEFINED_ADDRESS } from './hdf5-cursor.js';
import { Hdf5Error } from './hdf5-error.js';
import type { Hdf5File } from './hdf5-file.js';

/** Signature, version, type and checksum around every v2 B-tree node (H5B2_METADATA_PREFIX_SIZE). */
const NODE_OVERHEAD = 4 + 1 + 1 + 4;

/** Real trees are 1–4 levels deep; a deeper one is hostile, and its per-level sizes would overflow. */
const MAX_DEPTH = 16;

/** Bytes needed to encode `n` (H5VM_limit_enc_size: floor(log2 n) / 8 + 1). */
function encSize(n: bigint): number {
  const bits = n > 0n ? n.toString(2).length - 1 : 0;
  return Math.floor(bits / 8) + 1;
}

interface Level {
  maxRecords: bigint;
  cumMaxRecords: bigint;
  /** Size of the "total records in child" field of pointers to nodes at this level. */
  cumSize: number;
}

/**
 * Returns every record of the version 2 B-tree at `address` (spec §III.A.2), in key order, as raw bytes.
 * The per-level field widths follow the library's derivation (H5B2__hdr_init); node visits and records are
 * bounded by the file's limits, and a node address seen twice is a cycle.
 */
export async function readBtree2Records(file: Hdf5File, address: number, expectedType: number): Promise<Uint8Array[]> {
  const O = file.sb.sizeOfOffsets;
  const L = file.sb.sizeOfLengths;
  const c = await file.cursor(address, 4 + 1 + 1 + 4 + 2 + 2 + 1 + 1 + O + 2 + L, 'v2 B-tree header');
  c.signature('BTHD', 'v2 B-tree header');
  const version = c.u8('v2 B-tree version');
  if (version !== 0) throw new Hdf5Error('malformed', `v2 B-tree version ${version} is unknown`, c.base);
  const type = c.u8('v2 B-tree type');
  if (type !== expectedType) throw new Hdf5Error('malformed', `v2 B-tree of type ${type}, expected ${expectedType}`, c.base);
  const nodeSize = c.u32('v2 B-tree node size');
  const recordSize = c.u16('v2 B-tree record size');
  const depth = c.u16('v2 B-tree depth');
  c.skip(2, 'v2 B-tree split/merge percents');
  const root = c.address('v2 B-tree root node address');
  const rootRecords = c.u16('v2 B-tree root record count');
  if (root === UNDEFINED_ADDRESS || rootRecords === 0) return [];
  if (recordSize === 0 || nodeSize <= NODE_OVERHEAD + recordSize || nodeSize > 16 * 1024 * 1024) {
    throw new Hdf5Error('malformed', `v2 B-tree node size ${nodeSize} / record size ${recordSize} is inconsistent`, c.base);
  }
  if (depth > MAX_DEPTH) throw new Hdf5Error('malformed', `v2 B-tree depth ${depth} exceeds ${MAX_DEPTH}`, c.base);

  const levels = levelSizes(nodeSize, recordSize, depth, O);
  const maxNrecSize = encSize(levels[0]!.maxRecords);
  const out: Uint8Array[] = [];
  const seen = new Set<number>();
  let nodes = 0;

  const visit = async (node: number, records: number, level: number): Promise<void> => {
    if (seen.has(node)) throw new Hdf5Error('malformed', `v2 B-tree node ${node} is reached twice (a cycle)`, file.absolute(node));
    seen.add(node);
    if (++nodes > file.limits.maxBtreeNodes) throw new Hdf5Error('limit', `v2 B-tree has more than ${file.limits.maxBtreeNodes} nodes`, file.absolute(node));
    if (BigInt(records) > levels[level]!.maxRecords) {
      throw new Hdf5Error('malformed', `v2 B-tree node claims ${records} records, more than fit`, file.absolute(node));
    }
    const nc = await file.cursor(node, nodeSize, 'v2 B-tree node');
    nc.signature(level === 0 ? 'BTLF' : 'BTIN', 'v2 B-tree node');
    nc.skip(2, 'v2 B-tree node version and type');
    const recs: Uint8Array[] = [];
    for (let i = 0; i < records; i++) recs.push(nc.take(recordSize, 'v2 B-tree record'));
    if (level === 0) {
      for (const r of recs) push(r, node);
      return;
    }
    const children: { address: number; records: number }[] = [];
    for (let i = 0; i <= records; i++) {
      const child = nc.address('v2 B-tree child address');
      const childRecords = nc.uint(maxNrecSize, 'v2 B-tree child record count');
      if (level > 1) nc.skip(levels[level - 1]!.cumSize, 'v2 B-tree child total records');
      if (child === UNDEFINED_ADDRESS) throw new Hdf5Error('malformed', 'v2 B-tree child pointer is undefined', nc.base);
      children.push({ address: child, records: childRecords });
    }
    // In-order: child 0, record 0, child 1, record 1 … child n.
    for (let i = 0; i <= records; i++) {
      await visit(children[i]!.address, children[i]!.records, level - 1);
      if (i < records) push(recs[i]!, node);
    }
  };
  const push = (r: Uint8Array, node: number): void => {
    if (out.length >= file.limits.maxBtreeRecords) {
      throw new Hdf5Error('limit', `v2 B-tree has more than ${file.limits.maxBtreeRecords} records`, file.absolute(node));
    }
    out.push(r);
  };
  await visit(root, rootRecords, depth);
  return out;
}

/** H5B2__hdr_init: maximum records per node and the widths of the record-count fields, per level. */
function levelSizes(nodeSize: number, recordSize: number, depth: number, sizeOfOffsets: number): Level[] {
  const leafMax = BigInt(Math.floor((nodeSize - NODE_OVERHEAD) / recordSize));
  const levels: Level[] = [{ maxRecords: leafMax, cumMaxRecords: leafMax, cumSize: 0 }];
  const maxNrecSize = encSize(leafMax);
  for (let d = 1; d <= depth; d++) {
    const pointer = sizeOfOffsets + maxNrecSize + levels[d - 1]!.cumSize;
    const maxRecords = BigInt(Math.max(0, Math.floor((nodeSize - (NODE_OVERHEAD + pointer)) / (recordSize + pointer))));
    const cumMaxRecords = (maxRecords + 1n) * levels[d - 1]!.cumMaxRecords + maxRecords;
    levels.push({ maxRecords, cumMaxRecords, cumSize: encSize(cumMaxRecords) });
  }
  return levels;
}
