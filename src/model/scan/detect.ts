import { looksLikeOnnx } from './formats/onnx.js';
import { looksLikeSavedModel } from './formats/savedmodel.js';
import { looksLikePickle } from './pickle/sniff.js';
import type { ScanFormat } from './types.js';

/** Bytes read from the start of a file to recognise its format. */
export const HEAD_BYTES = 4096;

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const ZIP_LOCAL = ascii('PK\x03\x04');
const ZIP_EMPTY = ascii('PK\x05\x06');
const ZIP_SPANNED = ascii('PK\x07\x08');
const SEVEN_Z = [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c];
const GZIP = [0x1f, 0x8b];
const BZIP2 = ascii('BZh');
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const NPY = [0x93, ...ascii('NUMPY')];
const HDF5 = [0x89, ...ascii('HDF\r\n\x1a\n')];
const GGUF = ascii('GGUF');
/** gguf-py reads a byte-swapped magic as a big-endian GGUF file. */
const GGUF_BE = ascii('FUGG');

/** Recognises a format by content. `tailHasZipEnd` tells whether a zip end record sits in the last 64 KiB. */
export function sniff(head: Uint8Array, size: number, tailHasZipEnd: boolean): ScanFormat {
  if (startsWith(head, ZIP_LOCAL) || startsWith(head, ZIP_EMPTY) || startsWith(head, ZIP_SPANNED)) return 'zip';
  if (startsWith(head, SEVEN_Z)) return '7z';
  if (startsWith(head, NPY)) return 'numpy';
  if (startsWith(head, GGUF) || startsWith(head, GGUF_BE)) return 'gguf';
  // HDF5 allows a user block of 512, 1024, 2048 … bytes before the signature.
  if ([0, 512, 1024, 2048].some((at) => startsWith(head, HDF5, at))) return 'hdf5';
  if (startsWith(head, XZ)) return 'xz';
  if (startsWith(head, GZIP)) return 'gzip';
  if (startsWith(head, BZIP2) && head.length > 3 && head[3]! >= 0x31 && head[3]! <= 0x39) return 'bzip2';
  if (isTarHeader(head)) return 'tar';
  if (looksLikeSafetensors(head, size)) return 'safetensors';
  if (looksLikePickle(head)) return 'pickle';
  if (isZlibHeader(head)) return 'zlib';
  if (isLzmaAloneHeader(head)) return 'lzma';
  // A zip whose end record is found but whose start is junk (torch's reader accepts a prefix; so must we).
  if (tailHasZipEnd) return 'zip';
  if (looksLikeOnnx(head, size)) return 'onnx';
  if (looksLikeSavedModel(head, size)) return 'tf-savedmodel';
  return 'other';
}

/** POSIX/GNU tar: the header checksum (octal, bytes 148–155 counted as spaces) must match. */
export function isTarHeader(h: Uint8Array): boolean {
  if (h.length < 512) return false;
  const stored = parseOctal(h.subarray(148, 156));
  if (stored === undefined) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  if (sum !== stored) return false;
  // An all-zero block has checksum 256 and would match; a real header has a name.
  return h[0] !== 0;
}

export function parseOctal(field: Uint8Array): number | undefined {
  let v = 0;
  let digits = 0;
  for (const c of field) {
    if (c === 0 || c === 0x20) {
      if (digits > 0) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) return undefined;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  return digits > 0 ? v : undefined;
}

function looksLikeSafetensors(h: Uint8Array, size: number): boolean {
  if (h.length < 10 || size < 10) return false;
  // Header length (u64 LE) followed by a JSON object. The length is checked against the file by the scanner.
  if (h[8] !== 0x7b) return false;
  // `{` then a key, the end of the object, or JSON whitespace.
  const next = h[9]!;
  return next === 0x22 || next === 0x7d || next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09;
}

/** RFC 1950: CM=8, window ≤ 32 KiB, and the header check bits. */
function isZlibHeader(h: Uint8Array): boolean {
  if (h.length < 2) return false;
  const cmf = h[0]!;
  const flg = h[1]!;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

/** The `.lzma` ("alone") header: properties byte < 225, a power-of-two-ish dictionary, a size or -1. */
function isLzmaAloneHeader(h: Uint8Array): boolean {
  if (h.length < 13 || h[0]! >= 225) return false;
  const dict = (h[1]! | (h[2]! << 8) | (h[3]! << 16) | (h[4]! << 24)) >>> 0;
  if (dict < 4096 || dict > 1 << 30) return false;
  const isPow = (dict & (dict - 1)) === 0 || ((dict >>> 1) & ((dict >>> 1) - 1)) === 0;
  if (!isPow) return false;
  // Joblib writes -1 (unknown size) or a real size well under 2^53.
  const hi = h.subarray(9, 13);
  return hi.every((b) => b === 0xff) || h[12] === 0;
}
