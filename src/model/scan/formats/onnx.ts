import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { CappedReporter, printable } from './capped-reporter.js';
import { badRange, unsafeLocationReasons } from './onnx-external-data.js';
import { BUILTIN_ONNX_DOMAINS, PYOP_TYPE, PYTHON_OP_TYPES } from './onnx-rules.js';
import {
  BlobReader,
  ProtoError,
  ProtoLimitError,
  WIRE_LEN,
  WIRE_VARINT,
  readHeader,
  andThen,
  withText,
  type FieldBudget,
  type ProtoField,
  type Step,
  wireFits,
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

/** True when the first bytes parse as the start of an ONNX ModelProto. */
export function looksLikeOnnx(head: Uint8Array, size: number): boolean {
  // Lengths are not checked against `size` here: a truncated or corrupt model should still be recognised, so that
  // the scanner reports where it breaks (onnx-parse-error) instead of the file passing as unknown bytes.
  const room = Number.MAX_SAFE_INTEGER;
  try {
    // Serializers emit fields in field-number order, so every ModelProto starts with ir_version (field 1).
    const first = readHeader(head, 0, head.length, room);
    if (first?.field !== MODEL.irVersion || first.wire !== WIRE_VARINT) return false;
    if (first.value < 1 || first.value > MAX_IR_VERSION) return false;
    let strong = false;
    for (let pos = first.offset + first.length; pos < Math.min(head.length, size); ) {
      const f = readHeader(head, pos, head.length, room);
      if (f === undefined) break; // the sniffing window ends inside a header
      if (!wireFits(MODEL_WIRE, f)) return false;
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

  model(): Step {
    return this.r.each(this.r.all, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === MODEL.graph) return this.graph(f, 0);
      if (f.field === MODEL.trainingInfo) return this.trainingInfo(f);
      if (f.field === MODEL.functions) return this.func(f);
    });
  }

  private graph(g: ProtoField, depth: number): Step {
    if (depth > MAX_GRAPH_DEPTH) {
      if (!this.tooDeep) {
        this.tooDeep = true;
        this.ctx.report('onnx-graph-too-deep', `subgraphs nested more than ${MAX_GRAPH_DEPTH} levels deep; the deeper ones were not analysed`, {
          offset: g.tagOffset,
        });
      }
      return;
    }
    return this.r.each(g, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === GRAPH.node) return this.node(f, depth);
      if (f.field === GRAPH.initializer) return this.tensor(f);
      if (f.field === GRAPH.sparseInitializer) return this.sparseTensor(f);
    });
  }

  private trainingInfo(t: ProtoField): Step {
    return this.r.each(t, this.budget, (f) => {
      if (f.wire === WIRE_LEN && (f.field === TRAINING_INFO.initialization || f.field === TRAINING_INFO.algorithm)) {
        return this.graph(f, 0);
      }
    });
  }

  private func(fn: ProtoField): Step {
    const id = { name: '', domain: '' };
    const walk = this.r.each(fn, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === FUNCTION.name) return withText(this.r.text(f, NAME_CAP), (t) => (id.name = t));
      if (f.field === FUNCTION.domain) return withText(this.r.text(f, NAME_CAP), (t) => (id.domain = t));
      if (f.field === FUNCTION.node) return this.node(f, 0);
    });
    return andThen(walk, () => void this.localFunctions.add(`${id.domain}\0${id.name}`));
  }

  private node(n: ProtoField, depth: number): Step {
    const node: NodeSeen = { name: '', opType: '', domain: '', strings: new Map() };
    const walk = this.r.each(n, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === NODE.name) return withText(this.r.text(f, NAME_CAP), (t) => (node.name = t));
      if (f.field === NODE.opType) return withText(this.r.text(f, NAME_CAP), (t) => (node.opType = t));
      if (f.field === NODE.domain) return withText(this.r.text(f, NAME_CAP), (t) => (node.domain = t));
      if (f.field === NODE.attribute) return this.attribute(f, depth, node.strings);
    });
    return andThen(walk, () => this.judgeNode(node, n.tagOffset));
  }

  private judgeNode({ name, opType, domain, strings }: NodeSeen, offset: number): void {
    if (opType === PYOP_TYPE || (PYTHON_OP_TYPES.has(opType) && domain === 'com.microsoft')) {
      const target =
        opType === PYOP_TYPE
          ? `${strings.get('module') ?? '?'}.${strings.get('class_name') ?? '?'}.${strings.get('compute') ?? 'compute'}`
          : (strings.get('func_name') ?? '?');
      this.out.report(
        'onnx-python-op',
        `${opType}:${target}`,
        `node '${printable(name)}' is a ${opType} that runs the Python callable '${printable(target)}' when the model runs`,
        offset,
      );
      // PyOp needs a domain of its own, but it is already reported as what it is: a call into Python.
      return;
    }
    if (!BUILTIN_ONNX_DOMAINS.has(domain)) this.noteCustomOp(domain, opType, name, offset);
  }

  /** Walks an AttributeProto: subgraphs and tensors inside it, and its string value (PyOp names its target there). */
  private attribute(a: ProtoField, depth: number, strings: Map<string, string>): Step {
    const attr: { name: string; s: string | undefined } = { name: '', s: undefined };
    const walk = this.r.each(a, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      switch (f.field) {
        case ATTRIBUTE.name:
          return withText(this.r.text(f, NAME_CAP), (t) => (attr.name = t));
        case ATTRIBUTE.s:
          return withText(this.r.text(f, NAME_CAP), (t) => (attr.s = t));
        case ATTRIBUTE.g:
        case ATTRIBUTE.graphs:
          return this.graph(f, depth + 1);
        case ATTRIBUTE.t:
        case ATTRIBUTE.tensors:
          return this.tensor(f);
        case ATTRIBUTE.sparseTensor:
        case ATTRIBUTE.sparseTensors:
          return this.sparseTensor(f);
      }
    });
    return andThen(walk, () => {
      if (attr.s !== undefined && strings.size < 64) strings.set(attr.name, attr.s);
    });
  }

  private sparseTensor(t: ProtoField): Step {
    return this.r.each(t, this.budget, (f) => {
      if (f.wire === WIRE_LEN && (f.field === SPARSE_TENSOR.values || f.field === SPARSE_TENSOR.indices)) return this.tensor(f);
    });
  }

  /** A TensorProto: reads its name and external_data entries; raw_data and typed data are skipped unread. */
  private tensor(t: ProtoField): Step {
    const seen = { name: '' };
    const external = new Map<string, string>();
    const walk = this.r.each(t, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === TENSOR.name) return withText(this.r.text(f, NAME_CAP), (s) => (seen.name = s));
      if (f.field === TENSOR.externalData) return this.entry(f, external);
    });
    return andThen(walk, () => this.judgeTensor(seen.name, external, t.tagOffset));
  }

  private judgeTensor(name: string, external: Map<string, string>, offset: number): void {
    // Checked whether or not data_location says EXTERNAL: a loader that trusts either signal would follow the path.
    const location = external.get('location');
    if (location !== undefined) {
      const why = unsafeLocationReasons(location);
      if (why.length > 0) {
        this.out.report(
          'onnx-external-data-traversal',
          location,
          `tensor '${printable(name)}' loads its data from '${printable(location)}', which ${why.join(', ')}: ` +
            'loading the model reads that file',
          offset,
        );
      }
    }
    const range = badRange(external.get('offset'), external.get('length'));
    if (range !== undefined) {
      this.out.report('onnx-external-data-range', `${name}\0${range}`, `tensor '${printable(name)}' has external data ${range}`, offset);
    }
  }

  /** One StringStringEntryProto of external_data; the first value of a key wins, as in onnx's loader. */
  private entry(e: ProtoField, into: Map<string, string>): Step {
    const kv = { key: '', value: '' };
    const walk = this.r.each(e, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === STRING_ENTRY.key) return withText(this.r.text(f, NAME_CAP), (t) => (kv.key = t));
      if (f.field === STRING_ENTRY.value) return withText(this.r.text(f, VALUE_CAP), (t) => (kv.value = t));
    });
    return andThen(walk, () => {
      if (!into.has(kv.key) && into.size < 16) into.set(kv.key, kv.value);
    });
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

interface NodeSeen {
  name: string;
  opType: string;
  domain: string;
  /** String attributes by name (PyOp's module and class_name). */
  strings: Map<string, string>;
}
