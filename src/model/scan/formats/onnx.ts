import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { CappedReporter, printable } from './capped-reporter.js';
import { BUILTIN_ONNX_DOMAINS, PYOP_TYPE, PYTHON_OP_TYPES } from './onnx-rules.js';
import {
  BlobReader,
  ProtoError,
  ProtoLimitError,
  WIRE_LEN,
  WIRE_VARINT,
  readHeader,
  type FieldBudget,
  type ProtoField,
} from './protobuf.js';

/*
 * Field numbers from onnx/onnx.proto, checked against the copy shipped with onnx 1.12
 * (site-packages/onnx/onnx.proto). Only the fields the scanner reads are listed.
 */
const MODEL = { irVersion: 1, graph: 7, opsetImport: 8, trainingInfo: 20, functions: 25 } as const;
const GRAPH = { node: 1, initializer: 5, sparseInitializer: 15 } as const;
const NODE = { name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, s: 4, t: 5, g: 6, tensors: 10, graphs: 11, sparseTensor: 22, sparseTensors: 23 } as const;
const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
const SPARSE_TENSOR = { values: 1, indices: 2 } as const;
const STRING_ENTRY = { key: 1, value: 2 } as const;
const TRAINING_INFO = { initialization: 1, algorithm: 2 } as const;
const FUNCTION = { name: 1, node: 7, domain: 10 } as const;

/** Wire type of each ModelProto field, for the sniffing trial parse. */
const MODEL_WIRE: ReadonlyMap<number, number> = new Map([
  [1, WIRE_VARINT], // ir_version
  [2, WIRE_LEN], // producer_name
  [3, WIRE_LEN], // producer_version
  [4, WIRE_LEN], // domain
  [5, WIRE_VARINT], // model_version
  [6, WIRE_LEN], // doc_string
  [7, WIRE_LEN], // graph
  [8, WIRE_LEN], // opset_import
  [14, WIRE_LEN], // metadata_props
  [20, WIRE_LEN], // training_info
  [25, WIRE_LEN], // functions
]);

/** IR versions count up by one per ONNX release (IR 10 in 2024); far above that is not ONNX. */
const MAX_IR_VERSION = 100;
/** If/Loop/Scan bodies nest a few levels in real models; deeper is reported and not walked. */
export const MAX_GRAPH_DEPTH = 16;
/**
 * Fields one scan may visit. A 2 GB file of empty nodes would otherwise cost hundreds of millions of steps; real
 * models have far fewer fields than this (weights are single raw_data fields, skipped whole).
 */
export const MAX_ONNX_FIELDS = 20_000_000;
const NAME_CAP = 512;
const VALUE_CAP = 4096;
const INT64_MAX = (1n << 63n) - 1n;

/** True when the first bytes parse as the start of an ONNX ModelProto. */
export function looksLikeOnnx(head: Uint8Array, size: number): boolean {
  try {
    // Serializers emit fields in field-number order, so every ModelProto starts with ir_version (field 1).
    const first = readHeader(head, 0, head.length, size);
    if (first?.field !== MODEL.irVersion || first.wire !== WIRE_VARINT) return false;
    if (first.value < 1 || first.value > MAX_IR_VERSION) return false;
    let strong = false;
    for (let pos = first.offset + first.length; pos < head.length && pos < size; ) {
      const f = readHeader(head, pos, head.length, size - pos);
      if (f === undefined) break; // the sniffing window ends inside a header
      if (MODEL_WIRE.get(f.field) !== f.wire) return false;
      const shown = head.subarray(f.offset, Math.min(head.length, f.offset + f.length));
      // producer_name, producer_version, domain are short plain strings. A SavedModel also starts with field 1
      // (a varint) then field 2, but its field 2 is a binary MetaGraphDef, which fails this test.
      if ((f.field === 2 || f.field === 3 || f.field === 4) && !isPlainText(shown, false)) return false;
      if (f.field === 6 && !isPlainText(shown, true)) return false;
      if (f.field === 2 || f.field === MODEL.graph || f.field === MODEL.opsetImport) strong = true;
      pos = f.offset + f.length;
    }
    return strong;
  } catch (err) {
    if (err instanceof ProtoError) return false;
    throw err;
  }
}

function isPlainText(bytes: Uint8Array, multiline: boolean): boolean {
  for (const b of bytes) {
    if (b === 0x7f) return false;
    if (b < 0x20 && !(multiline && (b === 0x09 || b === 0x0a || b === 0x0d))) return false;
  }
  return true;
}

/** Checks external-data paths, custom op domains and Python ops of an ONNX model, reading only its structure. */
export async function scanOnnx(blob: Blob, ctx: ScanContext): Promise<ScanFormat> {
  const walk = new OnnxWalk(new BlobReader(blob), ctx);
  try {
    await walk.model();
  } catch (err) {
    if (err instanceof ProtoLimitError) {
      ctx.report('scan-incomplete', `ONNX model has more than ${MAX_ONNX_FIELDS} protobuf fields; the rest was not analysed`, {
        offset: err.offset,
      });
    } else if (err instanceof ProtoError) {
      ctx.report('onnx-parse-error', `malformed ONNX protobuf: ${err.message}; the rest of the model was not analysed`, {
        offset: err.offset,
      });
    } else {
      throw err;
    }
  }
  walk.finish();
  return 'onnx';
}

interface CustomOp {
  domain: string;
  opType: string;
  node: string;
  offset: number;
  count: number;
}

/** One pass over a ModelProto. Findings that depend on later fields (model-local functions) wait for `finish`. */
class OnnxWalk {
  private readonly budget: FieldBudget = { fields: MAX_ONNX_FIELDS };
  /** `domain\0name` of every FunctionProto: nodes calling them run ONNX ops, not a native library. */
  private readonly localFunctions = new Set<string>();
  private readonly customOps = new Map<string, CustomOp>();
  private readonly out: CappedReporter;
  private tooDeep = false;

  constructor(
    private readonly r: BlobReader,
    private readonly ctx: ScanContext,
  ) {
    this.out = new CappedReporter(ctx);
  }

  async model(): Promise<void> {
    for await (const f of this.r.fields(0, this.r.size, this.budget)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === MODEL.graph) await this.graph(f, 0);
      else if (f.field === MODEL.trainingInfo) await this.trainingInfo(f);
      else if (f.field === MODEL.functions) await this.func(f);
    }
  }

  private async graph(g: ProtoField, depth: number): Promise<void> {
    if (depth > MAX_GRAPH_DEPTH) {
      if (!this.tooDeep) {
        this.tooDeep = true;
        this.ctx.report('onnx-graph-too-deep', `subgraphs nested more than ${MAX_GRAPH_DEPTH} levels deep; the deeper ones were not analysed`, {
          offset: g.tagOffset,
        });
      }
      return;
    }
    for await (const f of this.fieldsOf(g)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === GRAPH.node) await this.node(f, depth);
      else if (f.field === GRAPH.initializer) await this.tensor(f);
      else if (f.field === GRAPH.sparseInitializer) await this.sparseTensor(f);
    }
  }

  private async trainingInfo(t: ProtoField): Promise<void> {
    for await (const f of this.fieldsOf(t)) {
      if (f.wire === WIRE_LEN && (f.field === TRAINING_INFO.initialization || f.field === TRAINING_INFO.algorithm)) {
        await this.graph(f, 0);
      }
    }
  }

  private async func(fn: ProtoField): Promise<void> {
    let name = '';
    let domain = '';
    for await (const f of this.fieldsOf(fn)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === FUNCTION.name) name = await this.r.text(f, NAME_CAP);
      else if (f.field === FUNCTION.domain) domain = await this.r.text(f, NAME_CAP);
      else if (f.field === FUNCTION.node) await this.node(f, 0);
    }
    this.localFunctions.add(`${domain}\0${name}`);
  }

  private async node(n: ProtoField, depth: number): Promise<void> {
    let name = '';
    let opType = '';
    let domain = '';
    const strings = new Map<string, string>();
    for await (const f of this.fieldsOf(n)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === NODE.name) name = await this.r.text(f, NAME_CAP);
      else if (f.field === NODE.opType) opType = await this.r.text(f, NAME_CAP);
      else if (f.field === NODE.domain) domain = await this.r.text(f, NAME_CAP);
      else if (f.field === NODE.attribute) await this.attribute(f, depth, strings);
    }
    if (opType === PYOP_TYPE || (PYTHON_OP_TYPES.has(opType) && domain === 'com.microsoft')) {
      const target =
        opType === PYOP_TYPE
          ? `${strings.get('module') ?? '?'}.${strings.get('class_name') ?? '?'}.${strings.get('compute') ?? 'compute'}`
          : (strings.get('func_name') ?? '?');
      this.out.report(
        'onnx-python-op',
        `${opType}:${target}`,
        `node '${printable(name)}' is a ${opType} that runs the Python callable '${printable(target)}' when the model runs`,
        n.tagOffset,
      );
    }
    if (!BUILTIN_ONNX_DOMAINS.has(domain)) this.noteCustomOp(domain, opType, name, n.tagOffset);
  }

  /** Walks an AttributeProto: subgraphs and tensors inside it, and its string value (PyOp names its target there). */
  private async attribute(a: ProtoField, depth: number, strings: Map<string, string>): Promise<void> {
    let name = '';
    let s: string | undefined;
    for await (const f of this.fieldsOf(a)) {
      if (f.wire !== WIRE_LEN) continue;
      switch (f.field) {
        case ATTRIBUTE.name:
          name = await this.r.text(f, NAME_CAP);
          break;
        case ATTRIBUTE.s:
          s = await this.r.text(f, NAME_CAP);
          break;
        case ATTRIBUTE.g:
        case ATTRIBUTE.graphs:
          await this.graph(f, depth + 1);
          break;
        case ATTRIBUTE.t:
        case ATTRIBUTE.tensors:
          await this.tensor(f);
          break;
        case ATTRIBUTE.sparseTensor:
        case ATTRIBUTE.sparseTensors:
          await this.sparseTensor(f);
          break;
      }
    }
    if (s !== undefined && strings.size < 64) strings.set(name, s);
  }

  private async sparseTensor(t: ProtoField): Promise<void> {
    for await (const f of this.fieldsOf(t)) {
      if (f.wire === WIRE_LEN && (f.field === SPARSE_TENSOR.values || f.field === SPARSE_TENSOR.indices)) await this.tensor(f);
    }
  }

  /** A TensorProto: reads its name and external_data entries; raw_data and typed data are skipped unread. */
  private async tensor(t: ProtoField): Promise<void> {
    let name = '';
    const external = new Map<string, string>();
    for await (const f of this.fieldsOf(t)) {
      if (f.field === TENSOR.name && f.wire === WIRE_LEN) name = await this.r.text(f, NAME_CAP);
      else if (f.field === TENSOR.externalData && f.wire === WIRE_LEN) {
        const [key, value] = await this.entry(f);
        if (!external.has(key)) external.set(key, value);
      }
    }
    // Checked whether or not data_location says EXTERNAL: a loader that trusts either signal would follow the path.
    const location = external.get('location');
    if (location !== undefined) {
      const why = unsafeLocationReasons(location);
      if (why.length > 0) {
        this.out.report(
          'onnx-external-data-traversal',
          location,
          `tensor '${printable(name)}' loads its data from '${printable(location)}', which ${why.join(', ')}: loading the model reads that file`,
          t.tagOffset,
        );
      }
    }
    const range = badRange(external.get('offset'), external.get('length'));
    if (range !== undefined) {
      this.out.report('onnx-external-data-range', `${name}\0${range}`, `tensor '${printable(name)}' has external data ${range}`, t.tagOffset);
    }
  }

  private async entry(e: ProtoField): Promise<[string, string]> {
    let key = '';
    let value = '';
    for await (const f of this.fieldsOf(e)) {
      if (f.wire !== WIRE_LEN) continue;
      if (f.field === STRING_ENTRY.key) key = await this.r.text(f, NAME_CAP);
      else if (f.field === STRING_ENTRY.value) value = await this.r.text(f, VALUE_CAP);
    }
    return [key, value];
  }

  private fieldsOf(f: ProtoField): AsyncGenerator<ProtoField> {
    return this.r.fields(f.offset, f.offset + f.length, this.budget);
  }

  private noteCustomOp(domain: string, opType: string, node: string, offset: number): void {
    const key = `${domain}\0${opType}`;
    const seen = this.customOps.get(key);
    if (seen !== undefined) seen.count++;
    else if (this.customOps.size < 10_000) this.customOps.set(key, { domain, opType, node, offset, count: 1 });
  }

  /** Reports what had to wait for the whole file: custom ops (functions come after the graph) and overflow counts. */
  finish(): void {
    for (const op of this.customOps.values()) {
      if (this.localFunctions.has(`${op.domain}\0${op.opType}`)) continue;
      const times = op.count > 1 ? ` (${op.count} nodes)` : '';
      this.out.report(
        'onnx-custom-op-domain',
        `${op.domain}\0${op.opType}`,
        `node '${printable(op.node)}' runs operator '${printable(op.opType)}' from custom domain '${printable(op.domain)}'${times}: ` +
          'it only runs with a custom-op library (native code) registered for that domain',
        op.offset,
      );
    }
    this.out.flush();
  }
}

/** Why an external-data `location` escapes the model folder; empty when it is a plain relative path. */
export function unsafeLocationReasons(location: string): string[] {
  const why: string[] = [];
  if (location.includes('\0')) why.push('contains a NUL byte');
  if (/^[A-Za-z]:/.test(location)) why.push('names a drive');
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) why.push('has a URL scheme');
  if (location.startsWith('/') || location.startsWith('\\')) why.push('is an absolute path');
  if (location.includes('\\')) why.push('uses a backslash (a path separator on Windows)');
  if (location.split(/[\\/]/).includes('..')) why.push("climbs out of the model folder with '..'");
  return why;
}

/** Describes an invalid external-data offset/length pair, or undefined when both are absent or valid. */
export function badRange(offset: string | undefined, length: string | undefined): string | undefined {
  const o = parseInt64(offset);
  const l = parseInt64(length);
  if (o === 'bad') return `offset '${printable(offset ?? '')}' that is not a non-negative 64-bit integer`;
  if (l === 'bad') return `length '${printable(length ?? '')}' that is not a non-negative 64-bit integer`;
  if (o !== undefined && l !== undefined && o + l > INT64_MAX) return `offset ${o} + length ${l} that overflows 64 bits`;
  return undefined;
}

function parseInt64(s: string | undefined): bigint | undefined | 'bad' {
  if (s === undefined) return undefined;
  // Exporters write str(int): plain decimal digits. Signs, spaces and hex are accepted by some loaders, not written.
  if (!/^[0-9]{1,20}$/.test(s)) return 'bad';
  const v = BigInt(s);
  return v > INT64_MAX ? 'bad' : v;
}
