import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { BlobReader, ProtoError, ProtoLimitError, WIRE_LEN, WIRE_VARINT, readHeader, wireFits, type ProtoField } from './protobuf.js';
import { KERAS_METADATA, KERAS_NODE, KERAS_PREFIX, MAX_SAVEDMODEL_FIELDS, SAVED_MODEL, SavedModelWalk } from './savedmodel-walk.js';

/** MetaGraphDef fields 1–7 are all messages or maps (meta_graph.proto), so each is length-delimited. */
const META_GRAPH_WIRE: ReadonlyMap<number, number> = new Map([1, 2, 3, 4, 5, 6, 7].map((f) => [f, WIRE_LEN]));
/** MetaInfoDef: strings and messages, then stripped_default_attrs (7, bool). */
const META_INFO_WIRE: ReadonlyMap<number, number> = new Map([
  ...[1, 2, 3, 4, 5, 6].map((f): [number, number] => [f, WIRE_LEN]),
  [7, WIRE_VARINT],
]);
/** keras_metadata.pb SavedObject: version (message), node_id, node_path, identifier, metadata. */
const KERAS_NODE_WIRE: ReadonlyMap<number, number> = new Map([
  [1, WIRE_LEN],
  [2, WIRE_VARINT],
  [3, WIRE_LEN],
  [4, WIRE_LEN],
  [5, WIRE_LEN],
]);

/** True when the first bytes parse as the start of a TensorFlow SavedModel protobuf (or its keras_metadata.pb). */
export function looksLikeSavedModel(head: Uint8Array, size: number): boolean {
  // As for ONNX, lengths are not checked against `size`: a truncated SavedModel is still recognised and reported.
  const room = Number.MAX_SAFE_INTEGER;
  if (size < 4) return false;
  try {
    if (looksLikeKerasMetadata(head)) return true;
    let f = readHeader(head, 0, head.length, room);
    // saved_model_schema_version (1) is written first; proto3 omits it when 0, so meta_graphs may come first.
    if (f?.field === SAVED_MODEL.schemaVersion) {
      if (f.wire !== WIRE_VARINT || f.value > 16) return false;
      const next = f.offset + f.length;
      f = readHeader(head, next, head.length, room);
    }
    if (f?.field !== SAVED_MODEL.metaGraphs || f.wire !== WIRE_LEN || f.length === 0) return false;
    const first = plausibleFields(head, f.offset, f.length, META_GRAPH_WIRE);
    if (first === undefined) return false;
    // meta_info_def (1) comes first in every exporter's output: check it one level down as well.
    return first.field !== 1 || plausibleFields(head, first.offset, first.length, META_INFO_WIRE) !== undefined;
  } catch (err) {
    if (err instanceof ProtoError) return false;
    throw err;
  }
}

/** keras_metadata.pb (tf.keras 2.5–2.15 SavedModels): SavedMetadata whose first node's identifier is `_tf_keras…`. */
function looksLikeKerasMetadata(head: Uint8Array): boolean {
  const f = readHeader(head, 0, head.length, Number.MAX_SAFE_INTEGER);
  if (f?.field !== KERAS_METADATA.nodes || f.wire !== WIRE_LEN) return false;
  const end = Math.min(head.length, f.offset + f.length);
  for (let pos = f.offset; pos < end; ) {
    const g = readHeader(head, pos, end, f.offset + f.length - pos);
    if (g === undefined || !wireFits(KERAS_NODE_WIRE, g)) return false;
    if (g.field === KERAS_NODE.identifier) {
      const id = head.subarray(g.offset, Math.min(end, g.offset + g.length));
      return String.fromCharCode(...id.subarray(0, KERAS_PREFIX.length)) === KERAS_PREFIX;
    }
    pos = g.offset + g.length;
  }
  return false;
}

/**
 * Checks that the part of a message `[start, start + length)` inside `head` is a run of fields with the expected
 * wire types (unknown small field numbers allowed, e.g. MetaInfoDef.function_aliases = 8 from TF 2.9 on). Returns
 * the first field, which must be a known one, or undefined when it does not parse or holds no field.
 */
function plausibleFields(head: Uint8Array, start: number, length: number, wires: ReadonlyMap<number, number>): ProtoField | undefined {
  const end = Math.min(head.length, start + length);
  let first: ProtoField | undefined;
  for (let pos = start; pos < end; ) {
    const f = readHeader(head, pos, end, start + length - pos);
    if (f === undefined) break;
    if (!wireFits(wires, f) || (first === undefined && !wires.has(f.field))) return undefined;
    first ??= f;
    pos = f.offset + f.length;
  }
  return first;
}

/** Lists the ops of every graph and function in a SavedModel and flags those that touch files or run code. */
export async function scanSavedModel(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  await collectSavedModelOps(blob, ctx);
  return 'tf-savedmodel';
}

/** Scans like `scanSavedModel` and returns every op name seen, with how many nodes use it. */
export async function collectSavedModelOps(blob: Blob, ctx: ScanContext): Promise<Map<string, number>> {
  const walk = new SavedModelWalk(new BlobReader(blob), ctx);
  try {
    const head = await blob.read(0, 4096);
    if (looksLikeKerasMetadata(head)) await walk.kerasMetadata();
    else await walk.savedModel();
  } catch (err) {
    if (err instanceof ProtoLimitError) {
      ctx.report('scan-incomplete', `SavedModel has more than ${MAX_SAVEDMODEL_FIELDS} protobuf fields; the rest was not analysed`, {
        offset: err.offset,
      });
    } else if (err instanceof ProtoError) {
      ctx.report('savedmodel-parse-error', `malformed SavedModel protobuf: ${err.message}; the rest was not analysed`, {
        offset: err.offset,
      });
    } else {
      throw err;
    }
  }
  walk.out.flush();
  return walk.ops;
}
