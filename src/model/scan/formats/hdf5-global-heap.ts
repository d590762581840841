import { Hdf5Error } from './hdf5-error.js';
import type { Hdf5File } from './hdf5-file.js';

/** Object indices are 16-bit, so a collection cannot hold more objects than this. */
const MAX_OBJECTS = 65_536;

/**
 * Returns object `index` of the global heap collection at `address` (spec §III.E): "GCOL", version 1, the
 * collection size, then objects (index u16, reference count u16, reserved u32, size, data padded to 8 bytes).
 * Object headers are walked one by one, skipping other objects' data, and the walk stays inside the collection.
 */
export async function readGlobalHeapObject(file: Hdf5File, address: number, index: number, maxBytes: number): Promise<Uint8Array> {
  const L = file.sb.sizeOfLengths;
  const head = await file.cursor(address, 8 + L, 'global heap collection');
  head.signature('GCOL', 'global heap collection');
  const version = head.u8('global heap version');
  if (version !== 1) throw new Hdf5Error('malformed', `global heap version ${version} is unknown`, file.absolute(address));
  head.skip(3, 'global heap reserved bytes');
  const collectionSize = head.length('global heap collection size');
  const end = address + collectionSize;
  if (collectionSize < 8 + L || file.absolute(end) > file.size) {
    throw new Hdf5Error('malformed', `global heap collection of ${collectionSize} bytes lies outside the file`, file.absolute(address));
  }
  const objectHeader = 8 + L;
  let pos = address + 8 + L;
  for (let n = 0; n < MAX_OBJECTS && pos + objectHeader <= end; n++) {
    const c = await file.cursor(pos, objectHeader, 'global heap object');
    const id = c.u16('global heap object index');
    c.skip(6, 'global heap object reference count');
    const size = c.length('global heap object size');
    // Object 0 is the collection's free space, which always comes last (its size counts its own header).
    if (id === 0) break;
    const dataAt = pos + objectHeader;
    if (size > end - dataAt) {
      throw new Hdf5Error('malformed', `global heap object ${id} of ${size} bytes overruns its collection`, file.absolute(pos));
    }
    if (id === index) {
      if (size > maxBytes) throw new Hdf5Error('limit', `global heap object of ${size} bytes exceeds the ${maxBytes}-byte limit`, file.absolute(pos));
      return file.read(dataAt, size, 'global heap object');
    }
    pos = dataAt + Math.ceil(size / 8) * 8;
  }
  throw new Hdf5Error('malformed', `global heap collection at ${address} has no object ${index}`, file.absolute(address));
}
