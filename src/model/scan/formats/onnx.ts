import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';

/** True when the first bytes parse as the start of an ONNX ModelProto. */
export function looksLikeOnnx(_head: Uint8Array, _size: number): boolean {
  return false;
}

/** Checks external-data paths and custom op domains of an ONNX model. */
export async function scanOnnx(_blob: Blob, _ctx: ScanContext): Promise<ScanFormat> {
  return 'onnx';
}
