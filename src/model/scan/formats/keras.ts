import { BufferBlob, type Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { readRootAttributes, type Hdf5RootAttribute } from './hdf5.js';
import { Hdf5Error, type Hdf5Issue } from './hdf5-error.js';
import { DEFAULT_HDF5_LIMITS, type Hdf5Limits } from './hdf5-file.js';
import { analyseKerasConfig, type EmbeddedPayload } from './keras-config.js';

/**
 * Root attributes Keras 2 / tf.keras `model.save('x.h5')` writes (legacy hdf5_format.save_model_to_hdf5):
 * `model_config` and `training_config` are JSON; `keras_version` and `backend` are informational.
 */
const CONFIG_ATTRIBUTES = ['model_config', 'training_config'] as const;
const WANTED = new Set<string>(CONFIG_ATTRIBUTES);

/**
 * Scans an HDF5 file; Keras models (a `model_config` root attribute) get their config checked.
 *
 * Only the superblock, the root object header and the root attributes are read, whatever the file's size. A
 * `.keras` archive's `model.weights.h5` has no model_config and comes out as plain 'hdf5' with no findings.
 */
export async function scanHdf5(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  let attributes: Hdf5RootAttribute[];
  try {
    const root = await readRootAttributes(blob, WANTED, hdf5Limits(ctx));
    for (const issue of root.issues) reportIssue(ctx, issue);
    attributes = root.attributes;
  } catch (err) {
    if (!(err instanceof Hdf5Error)) throw err;
    reportIssue(ctx, { kind: err.kind, message: err.message, ...(err.offset === undefined ? {} : { offset: err.offset }) });
    return 'hdf5';
  }
  const configs = attributes.filter((a) => WANTED.has(a.name));
  for (const name of CONFIG_ATTRIBUTES) {
    const copies = configs.filter((a) => a.name === name);
    if (copies.length > 1) {
      ctx.report('hdf5-malformed', `the root attribute '${name}' is stored ${copies.length} times (Keras writes it once); each copy read was scanned`, { offset: copies[1]!.offset });
    }
  }
  const payloads: EmbeddedPayload[] = [];
  for (const attr of configs) {
    const source = { label: attr.name, offset: attr.offset };
    if (attr.value === undefined) continue; // its value could not be read; an issue says why
    if (attr.value.kind !== 'string') {
      ctx.report('keras-invalid-config', `${attr.name}: stored as ${attr.value.description}, not a JSON string`, { offset: attr.offset });
      continue;
    }
    payloads.push(...analyseKerasConfig(attr.value.bytes, ctx, source));
  }
  await scanPayloads(payloads, ctx);
  return attributes.some((a) => a.name === 'model_config') ? 'keras-h5' : 'hdf5';
}

/**
 * Checks the `config.json` of a Keras 3 `.keras` archive (Lambda layers, foreign modules, unsafe config).
 * Synchronous, so it cannot scan the pickles a TorchModuleWrapper embeds (it reports them);
 * `scanKerasConfigDeep` also scans those.
 */
export function scanKerasConfig(json: Uint8Array, ctx: ScanContext): void {
  analyseKerasConfig(json, ctx, { label: 'config.json' });
}

/** `scanKerasConfig`, plus the payloads embedded in the config handed back to format detection as members. */
export async function scanKerasConfigDeep(json: Uint8Array, ctx: ScanContext): Promise<void> {
  await scanPayloads(analyseKerasConfig(json, ctx, { label: 'config.json' }), ctx);
}

async function scanPayloads(payloads: EmbeddedPayload[], ctx: ScanContext): Promise<void> {
  for (const p of payloads) {
    // Decoded base64 is bytes the file did not hold as such: count it like decompressed data.
    if (!ctx.spend(p.bytes.length)) {
      ctx.report('scan-incomplete', `${p.name}: the decompression budget is spent; the embedded payload was not scanned`);
      continue;
    }
    await ctx.scanMember(p.name, new BufferBlob(p.bytes));
  }
}

function hdf5Limits(ctx: ScanContext): Hdf5Limits {
  const value = ctx.limits.maxMetadataBytes;
  return { ...DEFAULT_HDF5_LIMITS, maxValueBytes: value, maxReadBytes: Math.max(DEFAULT_HDF5_LIMITS.maxReadBytes, 2 * value + 64 * 1024 * 1024) };
}

function reportIssue(ctx: ScanContext, issue: Hdf5Issue): void {
  const location = issue.offset === undefined ? {} : { offset: issue.offset };
  if (issue.kind === 'malformed') ctx.report('hdf5-malformed', `HDF5: ${issue.message}`, location);
  else ctx.report('scan-incomplete', `HDF5: ${issue.message}; that part of the file was not analysed`, location);
}
