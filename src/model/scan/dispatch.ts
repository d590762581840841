import { compressedScanner } from './archive/compressed.js';
import { scanSevenZip } from './archive/sevenzip.js';
import { scanTar } from './archive/tar.js';
import { scanZip } from './archive/zip.js';
import type { Blob } from './blob.js';
import type { ScanContext } from './context.js';
import { HEAD_BYTES, sniff } from './detect.js';
import { scanGguf } from './formats/gguf.js';
import { scanHdf5 } from './formats/keras.js';
import { scanNpy } from './formats/numpy.js';
import { scanOnnx } from './formats/onnx.js';
import { scanSafetensors } from './formats/safetensors.js';
import { scanSavedModel } from './formats/savedmodel.js';
import { scanPickle } from './pickle/scan-pickle.js';
import type { ScanFormat } from './types.js';

export type FormatScanner = (blob: Blob, ctx: ScanContext) => Promise<ScanFormat>;

const SCANNERS: Partial<Record<ScanFormat, FormatScanner>> = {
  '7z': scanSevenZip,
  zip: scanZip,
  tar: scanTar,
  numpy: scanNpy,
  gzip: compressedScanner('gzip', 'gzip'),
  zlib: compressedScanner('zlib', 'zlib'),
  bzip2: compressedScanner('bzip2', 'bzip2'),
  xz: compressedScanner('xz', 'xz'),
  lzma: compressedScanner('lzma', 'lzma'),
  gguf: scanGguf,
  hdf5: scanHdf5,
  onnx: scanOnnx,
  pickle: scanPickle,
  safetensors: scanSafetensors,
  'tf-savedmodel': scanSavedModel,
};

/** Registers a scanner for a format (used while the table is assembled; keeps this file free of cycles). */
export function registerScanner(format: ScanFormat, scanner: FormatScanner): void {
  SCANNERS[format] = scanner;
}

/** Detects the format of `blob` by its content and runs the matching scanner; returns the (refined) format. */
export async function dispatch(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const head = await blob.read(0, HEAD_BYTES);
  const tailHasZipEnd = await hasZipEnd(blob);
  const format = sniff(head, blob.size, tailHasZipEnd);
  const scanner = SCANNERS[format];
  return scanner === undefined ? format : scanner(blob, ctx);
}

const EOCD_SIG = [0x50, 0x4b, 0x05, 0x06];

async function hasZipEnd(blob: Blob): Promise<boolean> {
  if (blob.size < 22) return false;
  const window = Math.min(blob.size, 22 + 0xffff);
  const tail = await blob.read(blob.size - window, window);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === EOCD_SIG[0] && tail[i + 1] === EOCD_SIG[1] && tail[i + 2] === EOCD_SIG[2] && tail[i + 3] === EOCD_SIG[3]) return true;
  }
  return false;
}
