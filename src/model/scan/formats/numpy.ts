import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import { walkPickleBlob } from '../pickle/scan-pickle.js';
import type { ScanFormat } from '../types.js';

/** NEP 1 header: magic, version, header length (u16 in v1, u32 in v2/v3), then a Python dict literal. */
const MAX_HEADER = 1 << 20;

export interface NpyHeader {
  descr: string;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

/** Parses the .npy header without evaluating it: the dict literal is matched field by field. */
export function parseNpyHeader(head: Uint8Array): NpyHeader | string {
  if (head.length < 10) return 'file is shorter than the header';
  const major = head[6]!;
  if (major < 1 || major > 3) return `unknown format version ${major}.${head[7]}`;
  const lenBytes = major === 1 ? 2 : 4;
  const hlen = major === 1 ? head[8]! | (head[9]! << 8) : (head[8]! | (head[9]! << 8) | (head[10]! << 16)) + head[11]! * 0x1000000;
  const start = 8 + lenBytes;
  if (hlen > MAX_HEADER) return `header length ${hlen} is over ${MAX_HEADER}`;
  if (start + hlen > head.length) return `header length ${hlen} runs past the end of the file`;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(start, start + hlen));
  const descr = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text)?.[2] ?? (/['"]descr['"]\s*:\s*\[/.test(text) ? '|V' : undefined);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return 'header dict lacks descr, fortran_order or shape';
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return `shape (${shapeText}) is not a tuple of sizes`;
  // Structured dtypes (a list) may hold objects: treat 'O' anywhere in the header's descr as object content.
  const objectish = descr.includes('O') || /\(\s*['"][^'"]*['"]\s*,\s*['"][|<>=]?O/.test(text);
  return { descr: objectish ? 'O' : descr, fortran: fortran === 'True', shape, dataOffset: start + hlen };
}

/** An object array's body is a pickle (numpy.load with allow_pickle=True unpickles it); others are plain bytes. */
export async function scanNpy(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const head = await blob.read(0, Math.min(blob.size, 12 + MAX_HEADER));
  const h = parseNpyHeader(head);
  if (typeof h === 'string') {
    ctx.report('numpy-bad-header', `.npy header: ${h}`);
    return 'numpy';
  }
  if (h.descr === 'O' || h.descr.startsWith('|O')) {
    ctx.report('numpy-object-array', `object array of shape (${h.shape.join(', ')}): its body is a pickle and was walked`, { offset: h.dataOffset });
    await walkPickleBlob(blob, ctx, h.dataOffset);
    return 'numpy';
  }
  const itemsize = Number(/\d+$/.exec(h.descr)?.[0] ?? NaN) * (/U/.test(h.descr) ? 4 : 1);
  const count = h.shape.reduce((a, b) => a * b, 1);
  if (Number.isFinite(itemsize) && h.dataOffset + count * itemsize !== blob.size) {
    ctx.report('numpy-bad-header', `.npy header declares ${count * itemsize} data bytes but the file holds ${blob.size - h.dataOffset}`, { offset: h.dataOffset });
  }
  return 'numpy';
}
