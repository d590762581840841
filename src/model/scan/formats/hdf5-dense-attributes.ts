import { Cursor, UNDEFINED_ADDRESS } from './hdf5-cursor.js';
import { Hdf5Error, toIssue, type Hdf5Issue } from './hdf5-error.js';
import type { Hdf5File } from './hdf5-file.js';
import { readBtree2Records } from './hdf5-btree2.js';
import { FractalHeap, type HeapObject } from './hdf5-fractal-heap.js';
import { attributeNameSpan, readAttributeName } from './hdf5-attribute.js';

/** v2 B-tree record type 8: the name index of densely stored attributes (spec §III.A.2). */
const BTREE_ATTRIBUTE_NAMES = 8;
/** Record type 8: heap ID (8 bytes), message flags, creation order (u32), name hash (u32). */
const RECORD_SIZE = 8 + 1 + 4 + 4;
const HEAP_ID_SIZE = 8;

/** One densely stored attribute message, located in the heap but not yet read. */
export interface DenseAttribute {
  /** Absolute offset of the message, for findings. */
  offset: number;
  /** Reads the message body (bounded by `maxBytes`). */
  read(maxBytes: number): Promise<Uint8Array>;
  /** Reads just enough to learn the attribute's name. */
  name(): Promise<string>;
}

/**
 * Follows an Attribute Info message (spec §IV.A.2.v) to the attributes stored densely: the fractal heap holds the
 * attribute messages and a v2 B-tree indexes them by name. HDF5 moves attributes there when an object has many
 * (more than 8 by default) or when one is too large for a header message (64 KiB), under libver ≥ 1.8 layouts.
 */
export async function readDenseAttributes(
  file: Hdf5File,
  data: Uint8Array,
  offset: number,
): Promise<{ attributes: DenseAttribute[]; issues: Hdf5Issue[] }> {
  const c = new Cursor(data, offset, file.sb.sizeOfOffsets, file.sb.sizeOfLengths);
  const version = c.u8('attribute info version');
  if (version !== 0) throw new Hdf5Error('malformed', `attribute info version ${version} is unknown`, offset);
  const flags = c.u8('attribute info flags');
  if (flags & 0x01) c.skip(2, 'maximum creation index');
  const heapAddress = c.address('attribute fractal heap address');
  const nameIndex = c.address('attribute name index address');
  if (heapAddress === UNDEFINED_ADDRESS || nameIndex === UNDEFINED_ADDRESS) return { attributes: [], issues: [] };

  const heap = await FractalHeap.open(file, heapAddress);
  const attributes: DenseAttribute[] = [];
  const issues: Hdf5Issue[] = [];
  for (const record of await readBtree2Records(file, nameIndex, BTREE_ATTRIBUTE_NAMES)) {
    try {
      if (record.length < RECORD_SIZE) throw new Hdf5Error('malformed', 'attribute name index record is too short', file.absolute(nameIndex));
      const messageFlags = record[HEAP_ID_SIZE]!;
      if (messageFlags & 0x02) {
        // The record points at a message in the shared-message heap (SOHM), which h5py does not create.
        throw new Hdf5Error('unsupported', 'a densely stored attribute is a shared message', file.absolute(nameIndex));
      }
      if (heap.idLength !== HEAP_ID_SIZE) {
        throw new Hdf5Error('malformed', `attribute heap uses ${heap.idLength}-byte IDs, the name index stores 8`, file.absolute(heapAddress));
      }
      attributes.push(locatedAttribute(file, await heap.locate(record.subarray(0, HEAP_ID_SIZE))));
    } catch (err) {
      issues.push(toIssue(err));
    }
  }
  return { attributes, issues };
}

function locatedAttribute(file: Hdf5File, obj: HeapObject): DenseAttribute {
  if (obj.kind === 'inline') {
    return { offset: 0, read: async () => obj.bytes, name: async () => readAttributeName(obj.bytes, 0) };
  }
  const offset = file.absolute(obj.address);
  return {
    offset,
    read: async (maxBytes) => {
      if (obj.length > maxBytes) throw new Hdf5Error('limit', `attribute message of ${obj.length} bytes exceeds the ${maxBytes}-byte limit`, offset);
      return file.read(obj.address, obj.length, 'densely stored attribute');
    },
    name: async () => {
      const prefix = await file.read(obj.address, Math.min(obj.length, 4), 'attribute message prefix');
      const bytes = await file.read(obj.address, Math.min(obj.length, attributeNameSpan(prefix)), 'attribute name');
      return readAttributeName(bytes, offset);
    },
  };
}
