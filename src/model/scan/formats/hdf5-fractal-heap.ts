import { readUint, UNDEFINED_ADDRESS } from './hdf5-cursor.js';
import { Hdf5Error } from './hdf5-error.js';
import type { Hdf5File } from './hdf5-file.js';
import { readBtree2Records } from './hdf5-btree2.js';

/** Where a heap object's bytes are: inline in its ID (tiny objects) or at a file address. */
export type HeapObject = { kind: 'inline'; bytes: Uint8Array } | { kind: 'file'; address: number; length: number };

/** v2 B-tree record type 1: indirectly accessed, non-filtered huge objects (spec §III.A.2). */
const BTREE_HUGE = 1;

/** Indirect blocks nest at most this deep; a real heap of 2^64 bytes needs fewer than 64 rows in all. */
const MAX_INDIRECT_DEPTH = 16;
const MAX_ROWS = 64;

const isPow2 = (n: number): boolean => n > 0 && Number.isSafeInteger(n) && (n & (n - 1)) === 0 && n <= 2 ** 30;

/**
 * A fractal heap (spec §III.G), opened only to look objects up by heap ID: managed objects through the doubling
 * table of direct and indirect blocks, huge objects directly or through their v2 B-tree, tiny objects inline.
 * Filtered (compressed) heaps are reported as unsupported rather than decoded.
 */
export class FractalHeap {
  private hugeIndex: Map<number, { address: number; length: number }> | undefined;

  private constructor(
    private readonly file: Hdf5File,
    private readonly address: number,
    readonly idLength: number,
    private readonly filtered: boolean,
    private readonly checksummedBlocks: boolean,
    private readonly hugeBtree: number,
    private readonly width: number,
    private readonly startBlock: number,
    private readonly maxDirectBlock: number,
    private readonly maxHeapBits: number,
    private readonly rootBlock: number,
    private readonly rootRows: number,
    private readonly maxManagedSize: number,
  ) {}

  static async open(file: Hdf5File, address: number): Promise<FractalHeap> {
    const O = file.sb.sizeOfOffsets;
    const L = file.sb.sizeOfLengths;
    const c = await file.cursor(address, 4 + 1 + 2 + 2 + 1 + 4 + 12 * L + 2 * O + 2 + 2 + 2 + O + 2, 'fractal heap header');
    c.signature('FRHP', 'fractal heap header');
    const version = c.u8('fractal heap version');
    if (version !== 0) throw new Hdf5Error('malformed', `fractal heap version ${version} is unknown`, c.base);
    const idLength = c.u16('heap ID length');
    const filterLength = c.u16('I/O filter length');
    const flags = c.u8('fractal heap flags');
    const maxManagedSize = c.u32('maximum managed object size');
    c.length('next huge object ID');
    const hugeBtree = c.address('huge object B-tree address');
    c.length('free space in managed blocks');
    c.address('free space manager address');
    c.length('managed space');
    c.length('allocated managed space');
    c.length('direct block allocation iterator');
    c.length('managed object count');
    c.length('huge objects size');
    c.length('huge object count');
    c.length('tiny objects size');
    c.length('tiny object count');
    const width = c.u16('table width');
    const startBlock = c.length('starting block size');
    const maxDirectBlock = c.length('maximum direct block size');
    const maxHeapBits = c.u16('maximum heap size');
    c.u16('starting rows in root indirect block');
    const rootBlock = c.address('root block address');
    const rootRows = c.u16('rows in root indirect block');
    // Spec: width, starting and maximum direct block sizes are powers of two; the heap offset fits in 64 bits.
    if (!isPow2(width) || !isPow2(startBlock) || !isPow2(maxDirectBlock) || maxDirectBlock < startBlock) {
      throw new Hdf5Error('malformed', 'fractal heap doubling table parameters are not powers of two', c.base);
    }
    if (maxHeapBits < 1 || maxHeapBits > 64 || idLength < 1 || rootRows > MAX_ROWS) {
      throw new Hdf5Error('malformed', 'fractal heap size parameters are out of range', c.base);
    }
    return new FractalHeap(
      file, address, idLength, filterLength > 0, (flags & 0x02) !== 0, hugeBtree,
      width, startBlock, maxDirectBlock, maxHeapBits, rootBlock, rootRows, maxManagedSize,
    );
  }

  /** Bytes of the heap offset field in managed IDs and block headers: the maximum heap size (bits) rounded up. */
  private get offsetSize(): number {
    return Math.ceil(this.maxHeapBits / 8);
  }

  /** Bytes of the length field in managed IDs (H5HF__hdr_finish_init_phase1). */
  private get lengthSize(): number {
    const direct = Math.ceil(Math.log2(this.maxDirectBlock) / 8);
    const managed = Math.floor(Math.floor(Math.log2(Math.max(1, this.maxManagedSize))) / 8) + 1;
    return Math.min(direct, managed);
  }

  /** Rows of an indirect block that hold direct blocks (spec: log2(max direct) − log2(start) + 2). */
  private get maxDirectRows(): number {
    return Math.log2(this.maxDirectBlock) - Math.log2(this.startBlock) + 2;
  }

  private rowBlockSize(row: number): number {
    return row === 0 ? this.startBlock : this.startBlock * 2 ** (row - 1);
  }

  /** Finds an object by its heap ID (spec §III.G, "Fractal Heap ID"). */
  async locate(id: Uint8Array): Promise<HeapObject> {
    const at = this.file.absolute(this.address);
    if (id.length !== this.idLength) throw new Hdf5Error('malformed', `heap ID of ${id.length} bytes, heap uses ${this.idLength}`, at);
    const first = id[0]!;
    if (first >> 6 !== 0) throw new Hdf5Error('malformed', `heap ID version ${first >> 6} is unknown`, at);
    const type = (first >> 4) & 0x03;
    if (type === 0) return this.locateManaged(id);
    if (type === 1) return this.locateHuge(id);
    if (type === 2) return locateTiny(id, at);
    throw new Hdf5Error('malformed', `heap ID type ${type} is reserved`, at);
  }

  private async locateManaged(id: Uint8Array): Promise<HeapObject> {
    const at = this.file.absolute(this.address);
    if (this.filtered) throw new Hdf5Error('unsupported', 'fractal heap blocks are filtered (compressed)', at);
    if (1 + this.offsetSize + this.lengthSize > id.length) throw new Hdf5Error('malformed', 'managed heap ID is too short', at);
    const offset = readUint(id, 1, this.offsetSize);
    const length = readUint(id, 1 + this.offsetSize, this.lengthSize);
    if (offset === undefined || length === undefined) throw new Hdf5Error('unsupported', 'heap offset exceeds 53 bits', at);
    if (this.rootBlock === UNDEFINED_ADDRESS) throw new Hdf5Error('malformed', 'heap ID points into an empty heap', at);
    if (this.rootRows === 0) return this.inDirectBlock(this.rootBlock, 0, this.startBlock, offset, length);
    return this.inIndirectBlock(this.rootBlock, 0, this.rootRows, offset, length, 0);
  }

  /** Walks one indirect block's rows to the child that covers `offset` (the doubling table, spec §III.G). */
  private async inIndirectBlock(
    address: number,
    blockOffset: number,
    rows: number,
    offset: number,
    length: number,
    depth: number,
  ): Promise<HeapObject> {
    if (depth > MAX_INDIRECT_DEPTH || rows < 1 || rows > MAX_ROWS) {
      throw new Hdf5Error('malformed', 'fractal heap indirect blocks nest too deep', this.file.absolute(address));
    }
    const O = this.file.sb.sizeOfOffsets;
    const directRows = Math.min(rows, this.maxDirectRows);
    const headerSize = 4 + 1 + O + this.offsetSize;
    let rowStart = blockOffset;
    for (let row = 0; row < rows; row++) {
      const size = this.rowBlockSize(row);
      const rowEnd = rowStart + size * this.width;
      if (offset < rowEnd) {
        const col = Math.floor((offset - rowStart) / size);
        const entry = row * this.width + col;
        const entryAt =
          row < directRows
            ? headerSize + entry * O
            : headerSize + directRows * this.width * O + (entry - directRows * this.width) * O;
        const c = await this.file.cursor(address + entryAt, O, 'fractal heap indirect block entry');
        const child = c.address('fractal heap child block address');
        if (child === UNDEFINED_ADDRESS) throw new Hdf5Error('malformed', 'heap ID points into an unallocated block', this.file.absolute(address));
        const childOffset = rowStart + col * size;
        if (row < directRows) return this.inDirectBlock(child, childOffset, size, offset, length);
        // An indirect child spanning `size` bytes has log2(size / (width × start)) + 1 rows.
        const childRows = Math.log2(size / (this.width * this.startBlock)) + 1;
        if (!Number.isInteger(childRows)) throw new Hdf5Error('malformed', 'fractal heap indirect block size is inconsistent', this.file.absolute(address));
        return this.inIndirectBlock(child, childOffset, childRows, offset, length, depth + 1);
      }
      rowStart = rowEnd;
    }
    throw new Hdf5Error('malformed', `heap offset ${offset} lies beyond the heap's blocks`, this.file.absolute(address));
  }

  private async inDirectBlock(address: number, blockOffset: number, size: number, offset: number, length: number): Promise<HeapObject> {
    const O = this.file.sb.sizeOfOffsets;
    const c = await this.file.cursor(address, 4 + 1 + O + this.offsetSize, 'fractal heap direct block');
    c.signature('FHDB', 'fractal heap direct block');
    c.skip(1 + O, 'direct block version and heap address');
    const stored = c.uint(this.offsetSize, 'direct block offset');
    if (stored !== blockOffset) {
      throw new Hdf5Error('malformed', `direct block says it starts at heap offset ${stored}, expected ${blockOffset}`, c.base);
    }
    const header = 4 + 1 + O + this.offsetSize + (this.checksummedBlocks ? 4 : 0);
    const within = offset - blockOffset;
    // Objects live after the block header; offsets count from the start of the block.
    if (within < header || length < 1 || within + length > size) {
      throw new Hdf5Error('malformed', `heap object (offset ${offset}, ${length} bytes) does not fit its direct block`, c.base);
    }
    return { kind: 'file', address: address + within, length };
  }

  private async locateHuge(id: Uint8Array): Promise<HeapObject> {
    const at = this.file.absolute(this.address);
    const O = this.file.sb.sizeOfOffsets;
    const L = this.file.sb.sizeOfLengths;
    if (this.filtered) throw new Hdf5Error('unsupported', 'huge heap objects are filtered (compressed)', at);
    // When the ID has room, an unfiltered huge object's address and length are stored in it directly.
    if (id.length >= 1 + O + L) {
      const address = readUint(id, 1, O);
      const length = readUint(id, 1 + O, L);
      if (address === undefined || length === undefined) throw new Hdf5Error('unsupported', 'huge object address exceeds 53 bits', at);
      return { kind: 'file', address, length };
    }
    const key = readUint(id, 1, Math.min(id.length - 1, 7));
    const index = await this.hugeObjects();
    const found = key === undefined ? undefined : index.get(key);
    if (found === undefined) throw new Hdf5Error('malformed', `huge object ${key ?? '?'} is not in the heap's B-tree`, at);
    return { kind: 'file', ...found };
  }

  /** Huge objects B-tree, type 1 records: address, length, ID (read once per heap). */
  private async hugeObjects(): Promise<Map<number, { address: number; length: number }>> {
    if (this.hugeIndex !== undefined) return this.hugeIndex;
    const at = this.file.absolute(this.address);
    if (this.hugeBtree === UNDEFINED_ADDRESS) throw new Hdf5Error('malformed', 'huge heap ID but the heap has no huge object B-tree', at);
    const O = this.file.sb.sizeOfOffsets;
    const L = this.file.sb.sizeOfLengths;
    const index = new Map<number, { address: number; length: number }>();
    for (const r of await readBtree2Records(this.file, this.hugeBtree, BTREE_HUGE)) {
      if (r.length < O + 2 * L) throw new Hdf5Error('malformed', 'huge object B-tree record is too short', at);
      const address = readUint(r, 0, O);
      const length = readUint(r, O, L);
      const key = readUint(r, O + L, L);
      if (address !== undefined && length !== undefined && key !== undefined) index.set(key, { address, length });
    }
    this.hugeIndex = index;
    return index;
  }
}

/** Tiny objects are stored in the ID itself; IDs longer than 18 bytes use a 12-bit ("extended") length. */
function locateTiny(id: Uint8Array, at: number): HeapObject {
  const extended = id.length > 18;
  const length = extended ? (((id[0]! & 0x0f) << 8) | (id[1] ?? 0)) + 1 : (id[0]! & 0x0f) + 1;
  const start = extended ? 2 : 1;
  if (start + length > id.length) throw new Hdf5Error('malformed', 'tiny heap object is longer than its ID', at);
  return { kind: 'inline', bytes: id.subarray(start, start + length) };
}
