import type { Blob } from '../blob.js';
import { Cursor, UNDEFINED_ADDRESS } from './hdf5-cursor.js';
import { Hdf5Error } from './hdf5-error.js';
import type { Superblock } from './hdf5-file.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Large enough for a version 0/1 superblock with 8-byte offsets and lengths (the biggest layout read here). */
const SUPERBLOCK_BYTES = 8 + 16 + 4 * 8 + 4 * 8 + 8;

/**
 * Finds the superblock: spec §II.A, the signature sits at 0 or at 512, 1024, 2048 … (after a user block).
 * The search is bounded by the file size: at most ~50 doublings.
 */
export async function findSignature(blob: Blob): Promise<number | undefined> {
  for (let at = 0; at + SIGNATURE.length <= blob.size; at = at === 0 ? 512 : at * 2) {
    const head = await blob.read(at, SIGNATURE.length);
    if (head.length === SIGNATURE.length && SIGNATURE.every((v, i) => head[i] === v)) return at;
  }
  return undefined;
}

/** Parses superblock versions 0–3 (spec §II.A, "Superblock"). */
export async function readSuperblock(blob: Blob): Promise<Superblock> {
  const at = await findSignature(blob);
  if (at === undefined) throw new Hdf5Error('malformed', 'no HDF5 signature at offset 0, 512, 1024, 2048 …', 0);
  const c = new Cursor(await blob.read(at, SUPERBLOCK_BYTES), at);
  c.skip(SIGNATURE.length);
  const version = c.u8('superblock version');
  if (version <= 1) return readV0V1(c, at, version);
  if (version <= 3) return readV2V3(c, at, version);
  throw new Hdf5Error('unsupported', `superblock version ${version} is not supported`, at + 8);
}

function checkSizes(offsets: number, lengths: number, at: number): void {
  // The spec allows 2, 4, 8 (and reserves 16); anything else is not a file the HDF5 library would open.
  if (![2, 4, 8].includes(offsets) || ![2, 4, 8].includes(lengths)) {
    throw new Hdf5Error('unsupported', `size of offsets ${offsets} / lengths ${lengths} is not supported`, at);
  }
}

function readV0V1(c0: Cursor, at: number, version: number): Superblock {
  c0.skip(4, 'superblock versions'); // free-space, root symbol table entry, reserved, shared header message versions
  const sizeOfOffsets = c0.u8('size of offsets');
  const sizeOfLengths = c0.u8('size of lengths');
  checkSizes(sizeOfOffsets, sizeOfLengths, at);
  const c = new Cursor(c0.bytes, at, sizeOfOffsets, sizeOfLengths);
  c.pos = c0.pos;
  c.skip(1 + 2 + 2 + 4, 'superblock tree parameters'); // reserved, group leaf/internal K, consistency flags
  if (version === 1) c.skip(4, 'indexed storage K'); // indexed storage internal node K + reserved
  const baseAddress = c.address('base address');
  c.address('free-space info address');
  c.address('end of file address');
  c.address('driver information block address');
  // Root group symbol table entry (§III.C): link name offset, then the object header address.
  c.address('root link name offset');
  const rootObjectHeader = c.address('root object header address');
  return finish(version, at, baseAddress, sizeOfOffsets, sizeOfLengths, rootObjectHeader);
}

function readV2V3(c0: Cursor, at: number, version: number): Superblock {
  const sizeOfOffsets = c0.u8('size of offsets');
  const sizeOfLengths = c0.u8('size of lengths');
  checkSizes(sizeOfOffsets, sizeOfLengths, at);
  const c = new Cursor(c0.bytes, at, sizeOfOffsets, sizeOfLengths);
  c.pos = c0.pos;
  c.skip(1, 'file consistency flags');
  const baseAddress = c.address('base address');
  c.address('superblock extension address');
  c.address('end of file address');
  const rootObjectHeader = c.address('root object header address');
  return finish(version, at, baseAddress, sizeOfOffsets, sizeOfLengths, rootObjectHeader);
}

function finish(
  version: number,
  at: number,
  baseAddress: number,
  sizeOfOffsets: number,
  sizeOfLengths: number,
  rootObjectHeader: number,
): Superblock {
  // The library writes the absolute offset of the superblock as the base address; an undefined one means 0.
  const base = baseAddress === UNDEFINED_ADDRESS ? 0 : baseAddress;
  if (rootObjectHeader === UNDEFINED_ADDRESS) {
    throw new Hdf5Error('malformed', 'the superblock has no root group object header address', at);
  }
  return { version, signatureAt: at, baseAddress: base, sizeOfOffsets, sizeOfLengths, rootObjectHeader };
}
