import { Cursor } from './hdf5-cursor.js';
import { Hdf5Error } from './hdf5-error.js';
import type { Superblock } from './hdf5-file.js';

/** The datatypes a Keras config can be stored as, and everything else summarised by class. */
export type Hdf5Datatype =
  | { kind: 'fixed-string'; size: number; padding: number; utf8: boolean }
  | { kind: 'vlen-string'; size: number; utf8: boolean }
  | { kind: 'other'; hdf5Class: number; size: number };

export interface Hdf5AttributeMessage {
  name: string;
  datatype: Hdf5Datatype;
  /** Number of elements in the dataspace (1 for a scalar, 0 for a null dataspace). */
  elements: number;
  /** The raw value bytes as stored in the message (for a variable-length string: a global heap reference). */
  data: Uint8Array;
  /** Absolute file offset of `data`, for messages. */
  dataOffset: number;
}

/** Datatype class numbers (spec §IV.A.2.d). */
const CLASS_STRING = 3;
const CLASS_VLEN = 9;

const MAX_NAME = 64 * 1024;

/** Parses an Attribute message body (spec §IV.A.2.m, versions 1–3). Nothing beyond the message is read. */
export function parseAttributeMessage(data: Uint8Array, offset: number, sb: Superblock): Hdf5AttributeMessage {
  const c = new Cursor(data, offset, sb.sizeOfOffsets, sb.sizeOfLengths);
  const version = c.u8('attribute version');
  if (version < 1 || version > 3) throw new Hdf5Error('malformed', `attribute message version ${version} is unknown`, offset);
  const flags = c.u8('attribute flags'); // reserved in version 1
  const nameSize = c.u16('attribute name size');
  const datatypeSize = c.u16('attribute datatype size');
  const dataspaceSize = c.u16('attribute dataspace size');
  if (version === 3) c.skip(1, 'attribute name encoding');
  if (nameSize > MAX_NAME) throw new Hdf5Error('malformed', `attribute name of ${nameSize} bytes`, offset);
  // Version 1 pads the name, datatype and dataspace to multiples of 8 bytes; later versions do not.
  const pad = (n: number): number => (version === 1 ? Math.ceil(n / 8) * 8 : n);
  const nameBytes = c.take(pad(nameSize), 'attribute name').subarray(0, nameSize);
  const name = decodeName(nameBytes);
  if (version >= 2 && (flags & 0x01) !== 0) {
    // The datatype is a shared (committed) datatype stored in another object header.
    throw new Hdf5Error('unsupported', `attribute '${name}' uses a shared datatype`, offset);
  }
  if (version >= 2 && (flags & 0x02) !== 0) {
    throw new Hdf5Error('unsupported', `attribute '${name}' uses a shared dataspace`, offset);
  }
  const dtStart = c.pos;
  const datatype = parseDatatype(c.take(pad(datatypeSize), 'attribute datatype').subarray(0, datatypeSize), c.base + dtStart, sb);
  const dsStart = c.pos;
  const elements = parseDataspace(c.take(pad(dataspaceSize), 'attribute dataspace').subarray(0, dataspaceSize), c.base + dsStart, sb);
  const dataOffset = c.base + c.pos;
  return { name, datatype, elements, data: c.take(c.remaining), dataOffset };
}

/**
 * Reads only the name of an attribute message (versions 1–3: the name follows an 8-byte prefix, 9 in version 3),
 * so attributes nobody asked for are listed without decoding their datatype or value.
 */
export function readAttributeName(data: Uint8Array, offset: number): string {
  const version = data[0];
  if (data.length < 8 || version === undefined || version < 1 || version > 3) {
    throw new Hdf5Error('malformed', 'attribute message prefix is truncated or of an unknown version', offset);
  }
  const nameSize = data[2]! | (data[3]! << 8);
  const start = version === 3 ? 9 : 8;
  return decodeName(data.subarray(start, Math.min(data.length, start + nameSize)));
}

/** The bytes of an attribute message that `readAttributeName` needs, given the first 4 bytes of the message. */
export function attributeNameSpan(prefix: Uint8Array): number {
  const nameSize = prefix.length >= 4 ? prefix[2]! | (prefix[3]! << 8) : 0;
  return (prefix[0] === 3 ? 9 : 8) + nameSize;
}

function decodeName(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  return new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, end));
}

/** Datatype message (spec §IV.A.2.d): only the class, size and string properties are decoded. */
export function parseDatatype(b: Uint8Array, offset: number, sb: Superblock): Hdf5Datatype {
  const c = new Cursor(b, offset, sb.sizeOfOffsets, sb.sizeOfLengths);
  const classAndVersion = c.u8('datatype class');
  const bits0 = c.u8('datatype bit field');
  const bits1 = c.u8('datatype bit field');
  c.skip(1, 'datatype bit field');
  const size = c.u32('datatype size');
  const hdf5Class = classAndVersion & 0x0f;
  if (hdf5Class === CLASS_STRING) {
    return { kind: 'fixed-string', size, padding: bits0 & 0x0f, utf8: (bits0 >> 4) === 1 };
  }
  if (hdf5Class === CLASS_VLEN && (bits0 & 0x0f) === 1) {
    // A variable-length element is stored as its length (4 bytes) and a global heap ID (address + index).
    const expected = 4 + sb.sizeOfOffsets + 4;
    if (size !== expected) {
      throw new Hdf5Error('malformed', `variable-length string element size ${size}, expected ${expected}`, offset);
    }
    return { kind: 'vlen-string', size, utf8: (bits1 & 0x0f) === 1 };
  }
  return { kind: 'other', hdf5Class, size };
}

/** Dataspace message (spec §IV.A.2.b, versions 1 and 2): returns the number of elements, bounded. */
export function parseDataspace(b: Uint8Array, offset: number, sb: Superblock): number {
  const c = new Cursor(b, offset, sb.sizeOfOffsets, sb.sizeOfLengths);
  const version = c.u8('dataspace version');
  const rank = c.u8('dataspace rank');
  c.u8('dataspace flags');
  if (version === 1) {
    c.skip(5, 'dataspace reserved bytes');
  } else if (version === 2) {
    const type = c.u8('dataspace type');
    if (type === 2) return 0; // null dataspace: no elements
    if (type === 0) return 1; // scalar
  } else {
    throw new Hdf5Error('malformed', `dataspace version ${version} is unknown`, offset);
  }
  if (rank > 32) throw new Hdf5Error('malformed', `dataspace rank ${rank} exceeds the HDF5 maximum of 32`, offset);
  let elements = 1;
  for (let i = 0; i < rank; i++) {
    elements *= c.length('dataspace dimension');
    // Only small attributes are decoded; anything this large is summarised, never materialised.
    if (elements > Number.MAX_SAFE_INTEGER) elements = Number.MAX_SAFE_INTEGER;
  }
  return elements;
}
