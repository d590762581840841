import type { Blob } from '../blob.js';
import { parseAttributeMessage, readAttributeName, type Hdf5AttributeMessage } from './hdf5-attribute.js';
import { readUint } from './hdf5-cursor.js';
import { readDenseAttributes } from './hdf5-dense-attributes.js';
import { Hdf5Error, toIssue, type Hdf5Issue } from './hdf5-error.js';
import { DEFAULT_HDF5_LIMITS, Hdf5File, type Hdf5Limits, type Superblock } from './hdf5-file.js';
import { readGlobalHeapObject } from './hdf5-global-heap.js';
import { MSG_ATTRIBUTE, MSG_ATTRIBUTE_INFO, MSG_FLAG_SHARED, readObjectHeader } from './hdf5-object-header.js';
import { readSuperblock } from './hdf5-superblock.js';

/** A decoded attribute value: a string's bytes (as stored, not yet decoded as text), or what else it was. */
export type Hdf5Value = { kind: 'string'; bytes: Uint8Array } | { kind: 'other'; description: string };

export interface Hdf5RootAttribute {
  name: string;
  /** Absolute file offset of the attribute message (0 when it is stored inline in a heap ID). */
  offset: number;
  /** Present for the names asked for; other attributes are listed by name only and their values never read. */
  value?: Hdf5Value;
}

export interface Hdf5Root {
  superblock: Superblock;
  /** The root group's attributes, compact and dense, in storage order (duplicates are kept). */
  attributes: Hdf5RootAttribute[];
  /** Structures that could not be followed; what could be read is still returned. */
  issues: Hdf5Issue[];
}

/**
 * A minimal, bounded HDF5 reader: the superblock, the root group's object header (with its continuation chunks)
 * and its attributes, compact or dense. Values are decoded only for `wanted` names, and only if they are strings
 * (fixed-length, or variable-length in the global heap). No dataset data is ever read.
 *
 * Throws `Hdf5Error` when the superblock or the root object header cannot be read at all; everything after that
 * degrades into `issues`.
 */
export async function readRootAttributes(
  blob: Blob,
  wanted: ReadonlySet<string>,
  limits: Hdf5Limits = DEFAULT_HDF5_LIMITS,
): Promise<Hdf5Root> {
  const sb = await readSuperblock(blob);
  const file = new Hdf5File(blob, sb, limits);
  const header = await readObjectHeader(file, sb.rootObjectHeader);
  const root: Hdf5Root = { superblock: sb, attributes: [], issues: [...header.issues] };
  const counter = { values: 0 };
  for (const msg of header.messages) {
    try {
      if (msg.type === MSG_ATTRIBUTE) {
        // A shared message's body is a reference into the shared-message heap, so even its name is elsewhere.
        if (msg.flags & MSG_FLAG_SHARED) throw new Hdf5Error('unsupported', 'a root attribute is a shared message', msg.offset);
        const name = readAttributeName(msg.data, msg.offset);
        if (!wanted.has(name)) {
          root.attributes.push({ name, offset: msg.offset });
          continue;
        }
        root.attributes.push(await decode(file, parseAttributeMessage(msg.data, msg.offset, sb), msg.offset, counter));
      } else if (msg.type === MSG_ATTRIBUTE_INFO) {
        const dense = await readDenseAttributes(file, msg.data, msg.offset);
        root.issues.push(...dense.issues);
        for (const attr of dense.attributes) {
          try {
            const name = await attr.name();
            if (!wanted.has(name)) {
              root.attributes.push({ name, offset: attr.offset });
              continue;
            }
            const body = await attr.read(limits.maxValueBytes + 64 * 1024);
            root.attributes.push(await decode(file, parseAttributeMessage(body, attr.offset, sb), attr.offset, counter));
          } catch (err) {
            root.issues.push(toIssue(err));
          }
        }
      }
    } catch (err) {
      root.issues.push(toIssue(err));
    }
  }
  if (root.issues.length > MAX_ISSUES) {
    const rest = root.issues.length - MAX_ISSUES;
    root.issues.length = MAX_ISSUES;
    root.issues.push({ kind: 'limit', message: `${rest} more problems of the same file were not listed` });
  }
  return root;
}

/** Problems listed per file; a hostile file can make every one of thousands of attributes fail. */
const MAX_ISSUES = 32;

async function decode(file: Hdf5File, attr: Hdf5AttributeMessage, offset: number, counter: { values: number }): Promise<Hdf5RootAttribute> {
  if (++counter.values > file.limits.maxValues) {
    throw new Hdf5Error('limit', `more than ${file.limits.maxValues} attribute values asked for; '${attr.name}' was not read`, offset);
  }
  return { name: attr.name, offset, value: await decodeValue(file, attr) };
}

async function decodeValue(file: Hdf5File, attr: Hdf5AttributeMessage): Promise<Hdf5Value> {
  const { datatype: dt } = attr;
  if (dt.kind === 'other') return { kind: 'other', description: `an HDF5 class ${dt.hdf5Class} value` };
  if (attr.elements !== 1) return { kind: 'other', description: `an array of ${attr.elements} strings` };
  const max = file.limits.maxValueBytes;
  if (dt.kind === 'fixed-string') {
    if (dt.size > max) throw new Hdf5Error('limit', `attribute '${attr.name}' of ${dt.size} bytes exceeds the ${max}-byte limit`, attr.dataOffset);
    if (attr.data.length < dt.size) throw new Hdf5Error('malformed', `attribute '${attr.name}' value is truncated`, attr.dataOffset);
    return { kind: 'string', bytes: trimFixed(attr.data.subarray(0, dt.size), dt.padding) };
  }
  // Variable-length string: sequence length (u32), then a global heap ID (collection address, object index).
  const O = file.sb.sizeOfOffsets;
  if (attr.data.length < dt.size) throw new Hdf5Error('malformed', `attribute '${attr.name}' heap reference is truncated`, attr.dataOffset);
  const length = readUint(attr.data, 0, 4)!;
  const collection = readUint(attr.data, 4, O);
  const index = readUint(attr.data, 4 + O, 4)!;
  if (collection === undefined) throw new Hdf5Error('unsupported', 'global heap address exceeds 53 bits', attr.dataOffset);
  if (length > max) throw new Hdf5Error('limit', `attribute '${attr.name}' of ${length} bytes exceeds the ${max}-byte limit`, attr.dataOffset);
  const obj = await readGlobalHeapObject(file, collection, index, max);
  if (obj.length < length) {
    throw new Hdf5Error('malformed', `attribute '${attr.name}' claims ${length} bytes, its heap object holds ${obj.length}`, attr.dataOffset);
  }
  return { kind: 'string', bytes: obj.subarray(0, length) };
}

/**
 * Fixed-length strings are read the way h5py/numpy read them: trailing NULs (null-terminated and null-padded
 * strings) or trailing spaces (space-padded) are dropped; bytes after an embedded NUL are kept, so a config
 * cannot hide a tail behind one.
 */
function trimFixed(b: Uint8Array, padding: number): Uint8Array {
  const pad = padding === 2 ? 0x20 : 0x00;
  let end = b.length;
  while (end > 0 && b[end - 1] === pad) end--;
  return b.subarray(0, end);
}
