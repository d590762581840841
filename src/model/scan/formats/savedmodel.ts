import type { Blob } from '../blob.js';
import type { ScanContext } from '../context.js';
import type { ScanFormat } from '../types.js';
import { CappedReporter, printable } from './capped-reporter.js';
import { checkKerasMetadata } from './savedmodel-keras.js';
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
} from './protobuf.js';
import { RISKY_OPS, RISK_RULE, URL_ATTRS, WATCHED_ATTRS, classifyTarget, type OpRisk } from './savedmodel-rules.js';

/*
 * Field numbers from TensorFlow's protos: core/protobuf/saved_model.proto, meta_graph.proto, saver.proto,
 * saved_object_graph.proto; core/framework/graph.proto, node_def.proto, function.proto, op_def.proto,
 * attr_value.proto; and Keras's keras/protobuf/saved_metadata.proto (keras_metadata.pb).
 */
const SAVED_MODEL = { schemaVersion: 1, metaGraphs: 2 } as const;
const META_GRAPH = { graphDef: 2, saverDef: 3, assetFileDef: 6, objectGraphDef: 7 } as const;
const SAVER_DEF = { saveTensorName: 2, restoreOpName: 3 } as const;
const GRAPH_DEF = { node: 1, library: 2 } as const;
const FUNCTION_LIBRARY = { function: 1 } as const;
const FUNCTION_DEF = { signature: 1, nodeDef: 3 } as const;
const OP_DEF = { name: 1 } as const;
const NODE_DEF = { name: 1, op: 2, attr: 5 } as const;
const MAP_ENTRY = { key: 1, value: 2 } as const;
const ATTR_VALUE = { list: 1, s: 2, func: 10 } as const;
const ATTR_LIST = { s: 2, func: 9 } as const;
const NAME_ATTR_LIST = { name: 1 } as const;
const OBJECT_GRAPH = { nodes: 1 } as const;
const SAVED_OBJECT = { userObject: 4 } as const;
const USER_OBJECT = { identifier: 1, metadata: 3 } as const;
const KERAS_METADATA = { nodes: 1 } as const;
const KERAS_NODE = { nodePath: 3, identifier: 4, metadata: 5 } as const;

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

/** Fields one scan may visit (see MAX_ONNX_FIELDS): bounds the time a graph of empty nodes can cost. */
export const MAX_SAVEDMODEL_FIELDS = 20_000_000;
/** Function-call edges kept to find the saver's functions; past this, checkpoint ops are judged without them. */
const MAX_EDGES = 1_000_000;
const NAME_CAP = 512;
const ATTR_VALUE_CAP = 4096;
const KERAS_PREFIX = '_tf_keras';

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
    if (g === undefined || KERAS_NODE_WIRE.get(g.field) !== g.wire) return false;
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
 * wire types. Returns the first field, or undefined when it does not parse or holds no field.
 */
function plausibleFields(head: Uint8Array, start: number, length: number, wires: ReadonlyMap<number, number>): ProtoField | undefined {
  const end = Math.min(head.length, start + length);
  let first: ProtoField | undefined;
  for (let pos = start; pos < end; ) {
    const f = readHeader(head, pos, end, start + length - pos);
    if (f === undefined) break;
    if (wires.get(f.field) !== f.wire) return undefined;
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

/** A library function: what it calls, and the checkpoint ops it holds (judged once the saver's functions are known). */
interface FunctionInfo {
  name: string;
  callees: Set<string>;
  checkpointOps: { op: string; risk: OpRisk; node: string; offset: number }[];
}

/** What one MetaGraphDef says about its saver, and the state gathered while walking its graph. */
interface GraphState {
  saveEntry: string | undefined;
  restoreEntry: string | undefined;
  /** TF1 savers live in a name scope ("save/…"): nodes under it are the saver's. */
  saverScopes: string[];
  hasAssets: boolean;
  saveRoots: string[];
  restoreRoots: string[];
  functions: Map<string, FunctionInfo>;
}

interface NodeInfo {
  name: string;
  op: string;
  /** Functions named by func-typed attrs (`f`, `then_branch`, `body` …). */
  calls: string[];
  /** Values of the watched string attrs, by attr name. */
  strings: [string, string][];
}

class SavedModelWalk {
  readonly ops = new Map<string, number>();
  readonly out: CappedReporter;
  private readonly budget: FieldBudget = { fields: MAX_SAVEDMODEL_FIELDS };
  private edges = 0;

  constructor(
    private readonly r: BlobReader,
    private readonly ctx: ScanContext,
  ) {
    this.out = new CappedReporter(ctx);
  }

  savedModel(): Step {
    return this.r.each(this.r.all, this.budget, (f) =>
      f.field === SAVED_MODEL.metaGraphs && f.wire === WIRE_LEN ? this.metaGraph(f) : undefined,
    );
  }

  kerasMetadata(): Step {
    return this.r.each(this.r.all, this.budget, (node) => {
      if (node.field !== KERAS_METADATA.nodes || node.wire !== WIRE_LEN) return;
      const seen: { path: string; metadata?: ProtoField } = { path: '' };
      const walk = this.r.each(node, this.budget, (f) => {
        if (f.wire !== WIRE_LEN) return;
        if (f.field === KERAS_NODE.nodePath) return withText(this.r.text(f, NAME_CAP), (t) => (seen.path = t));
        if (f.field === KERAS_NODE.metadata) seen.metadata = f;
      });
      return andThen(walk, () => (seen.metadata === undefined ? undefined : this.kerasJson(seen.metadata, seen.path)));
    });
  }

  private async metaGraph(mg: ProtoField): Promise<void> {
    // saver_def (3) is serialized after graph_def (2) but is needed to judge it: locate the parts first.
    const parts: { graph?: ProtoField; saver?: ProtoField; objects?: ProtoField; hasAssets: boolean } = { hasAssets: false };
    await this.r.each(mg, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === META_GRAPH.graphDef) parts.graph = f;
      else if (f.field === META_GRAPH.saverDef) parts.saver = f;
      else if (f.field === META_GRAPH.assetFileDef) parts.hasAssets = true;
      else if (f.field === META_GRAPH.objectGraphDef) parts.objects = f;
    });
    const g: GraphState = {
      saveEntry: undefined,
      restoreEntry: undefined,
      saverScopes: [],
      hasAssets: parts.hasAssets,
      saveRoots: [],
      restoreRoots: [],
      functions: new Map(),
    };
    if (parts.saver !== undefined) await this.saverDef(parts.saver, g);
    if (parts.graph !== undefined) await this.graphDef(parts.graph, g);
    this.judgeCheckpointOps(g);
    if (parts.objects !== undefined) await this.objectGraph(parts.objects);
  }

  private async saverDef(s: ProtoField, g: GraphState): Promise<void> {
    await this.r.each(s, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === SAVER_DEF.saveTensorName) return withText(this.r.text(f, NAME_CAP), (t) => (g.saveEntry = nodeOf(t)));
      if (f.field === SAVER_DEF.restoreOpName) return withText(this.r.text(f, NAME_CAP), (t) => (g.restoreEntry = nodeOf(t)));
    });
    for (const entry of [g.saveEntry, g.restoreEntry]) {
      const cut = entry?.lastIndexOf('/') ?? -1;
      if (entry !== undefined && cut > 0) g.saverScopes.push(entry.slice(0, cut + 1));
    }
  }

  private graphDef(gd: ProtoField, g: GraphState): Step {
    return this.r.each(gd, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === GRAPH_DEF.node) return andThen(this.node(f), () => this.graphNode(this.current, g, f.tagOffset));
      if (f.field === GRAPH_DEF.library) {
        return this.r.each(f, this.budget, (fn) => {
          if (fn.field === FUNCTION_LIBRARY.function && fn.wire === WIRE_LEN) return this.functionDef(fn, g);
        });
      }
    });
  }

  private graphNode(node: NodeInfo, g: GraphState, offset: number): void {
    if (node.name === g.saveEntry) g.saveRoots.push(node.op, ...node.calls);
    if (node.name === g.restoreEntry) g.restoreRoots.push(node.op, ...node.calls);
    const risk = RISKY_OPS.get(node.op);
    if (risk === 'checkpoint-read' || risk === 'checkpoint-write') {
      // TF1: the saver's SaveV2/RestoreV2 sit in the main graph under the saver's name scope.
      if (!g.saverScopes.some((scope) => node.name.startsWith(scope))) this.flag(risk, node, 'the main graph', offset);
      return;
    }
    this.judge(node, 'the main graph', g, offset);
  }

  private functionDef(fd: ProtoField, g: GraphState): Step {
    const fn: FunctionInfo = { name: '', callees: new Set(), checkpointOps: [] };
    const pending: [NodeInfo, number][] = [];
    const walk = this.r.each(fd, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === FUNCTION_DEF.signature) {
        return this.r.each(f, this.budget, (s) => {
          if (s.field === OP_DEF.name && s.wire === WIRE_LEN) return withText(this.r.text(s, NAME_CAP), (t) => (fn.name = t));
        });
      }
      if (f.field === FUNCTION_DEF.nodeDef) {
        // Judged in batches: the name (in the signature, field 1) normally comes first, but order is not guaranteed.
        return andThen(this.node(f), () => {
          pending.push([this.current, f.tagOffset]);
          if (pending.length >= 4096) this.judgeFunctionNodes(fn, pending.splice(0), g);
        });
      }
    });
    return andThen(walk, () => {
      this.judgeFunctionNodes(fn, pending, g);
      if (!g.functions.has(fn.name)) g.functions.set(fn.name, fn);
    });
  }

  private judgeFunctionNodes(fn: FunctionInfo, nodes: [NodeInfo, number][], g: GraphState): void {
    for (const [node, offset] of nodes) {
      // A node's op may itself be a library function (a direct call), and func attrs name more callees.
      for (const callee of [node.op, ...node.calls]) {
        if (fn.callees.has(callee) || this.edges >= MAX_EDGES) continue;
        fn.callees.add(callee);
        this.edges++;
      }
      const risk = RISKY_OPS.get(node.op);
      if (risk === 'checkpoint-read' || risk === 'checkpoint-write') {
        if (fn.checkpointOps.length < 1024) fn.checkpointOps.push({ op: node.op, risk, node: node.name, offset });
        continue;
      }
      this.judge(node, `function '${printable(fn.name)}'`, g, offset);
    }
  }

  /** Flags a node for every risk but checkpoint I/O (which depends on where the saver is). */
  private judge(node: NodeInfo, where: string, g: GraphState, offset: number): void {
    const risk = RISKY_OPS.get(node.op);
    // Vocabulary tables (TextVectorization, StringLookup) read their file from the model's assets/ folder.
    const vocabulary = node.op === 'InitializeTableFromTextFile' || node.op === 'InitializeTableFromTextFileV2';
    if (risk !== undefined && !(vocabulary && g.hasAssets)) this.flag(risk, node, where, offset);
    const watched = URL_ATTRS.get(node.op);
    if (watched === undefined) return;
    for (const [attr, value] of node.strings) {
      if (!watched.includes(attr)) continue;
      const target = classifyTarget(node.op, value);
      if (target === undefined) continue;
      this.out.report(
        RISK_RULE[target],
        `${node.op}\0${value}`,
        `op '${node.op}' (node '${printable(node.name)}' in ${where}) has ${attr} '${printable(value)}': ${VERB[target]} when the graph runs`,
        offset,
      );
    }
  }

  private flag(risk: OpRisk, node: NodeInfo, where: string, offset: number): void {
    this.out.report(
      RISK_RULE[risk],
      `${node.op}\0${where}`,
      `op '${printable(node.op)}' (node '${printable(node.name)}' in ${where}) ${VERB[risk]} when the graph runs`,
      offset,
    );
  }

  /**
   * The saver's own functions may save and restore checkpoints: SaveV2/MergeV2Checkpoints in functions reachable
   * from saver_def.save_tensor_name, RestoreV2 in those reachable from restore_op_name (TF2 writes them as
   * `__inference__traced_save_N` / `__inference__traced_restore_N`). The same ops anywhere else, or a write on the
   * restore path (which runs at load time), are reported.
   */
  private judgeCheckpointOps(g: GraphState): void {
    const saving = reachable(g.saveRoots, g.functions);
    const restoring = reachable(g.restoreRoots, g.functions);
    for (const fn of g.functions.values()) {
      for (const c of fn.checkpointOps) {
        const write = c.risk === 'checkpoint-write';
        if (write ? saving.has(fn.name) : restoring.has(fn.name)) continue;
        const node: NodeInfo = { name: c.node, op: c.op, calls: [], strings: [] };
        this.flag(c.risk, node, `function '${printable(fn.name)}', outside the saver's ${write ? 'save' : 'restore'} path`, c.offset);
      }
    }
  }

  /** The node most recently read by `node` (walks are sequential, so one slot suffices). */
  private current: NodeInfo = { name: '', op: '', calls: [], strings: [] };

  /** Reads a NodeDef's name, op, called functions and watched string attrs into `current`; tensors are skipped unread. */
  private node(n: ProtoField): Step {
    const node: NodeInfo = { name: '', op: '', calls: [], strings: [] };
    const walk = this.r.each(n, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === NODE_DEF.name) return withText(this.r.text(f, NAME_CAP), (t) => (node.name = t));
      if (f.field === NODE_DEF.op) return withText(this.r.text(f, NAME_CAP), (t) => (node.op = t));
      if (f.field === NODE_DEF.attr) return this.attr(f, node);
    });
    return andThen(walk, () => {
      if (node.op !== '' && (this.ops.has(node.op) || this.ops.size < 100_000)) {
        this.ops.set(node.op, (this.ops.get(node.op) ?? 0) + 1);
      }
      this.current = node;
    });
  }

  /** One `map<string, AttrValue>` entry: func names (`func`, `list.func`) and watched strings (`s`, `list.s`). */
  private attr(entry: ProtoField, node: NodeInfo): Step {
    const kv: { key: string; value?: ProtoField } = { key: '' };
    const walk = this.r.each(entry, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === MAP_ENTRY.key) return withText(this.r.text(f, NAME_CAP), (t) => (kv.key = t));
      if (f.field === MAP_ENTRY.value) kv.value = f;
    });
    return andThen(walk, () => (kv.value === undefined ? undefined : this.attrValue(kv.key, kv.value, node)));
  }

  private attrValue(key: string, value: ProtoField, node: NodeInfo): Step {
    const watched = WATCHED_ATTRS.has(key);
    const call = (f: ProtoField): Step => (node.calls.length < 256 ? this.funcName(f, node.calls) : undefined);
    const keep = (f: ProtoField): Step =>
      watched && node.strings.length < 64 ? withText(this.r.text(f, ATTR_VALUE_CAP), (t) => void node.strings.push([key, t])) : undefined;
    return this.r.each(value, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === ATTR_VALUE.func) return call(f);
      if (f.field === ATTR_VALUE.s) return keep(f);
      if (f.field === ATTR_VALUE.list) {
        return this.r.each(f, this.budget, (item) => {
          if (item.wire !== WIRE_LEN) return;
          if (item.field === ATTR_LIST.func) return call(item);
          if (item.field === ATTR_LIST.s) return keep(item);
        });
      }
    });
  }

  /** NameAttrList.name: the function a func-typed attr calls. */
  private funcName(f: ProtoField, into: string[]): Step {
    return this.r.each(f, this.budget, (g) => {
      if (g.field === NAME_ATTR_LIST.name && g.wire === WIRE_LEN) return withText(this.r.text(g, NAME_CAP), (t) => void into.push(t));
    });
  }

  /** TF 2.0–2.4 kept each Keras layer's JSON in SavedUserObject.metadata of the object graph. */
  private objectGraph(og: ProtoField): Step {
    let index = 0;
    return this.r.each(og, this.budget, (node) => {
      if (node.field !== OBJECT_GRAPH.nodes || node.wire !== WIRE_LEN) return;
      const where = `object ${index++}`;
      return this.r.each(node, this.budget, (f) => {
        if (f.field !== SAVED_OBJECT.userObject || f.wire !== WIRE_LEN) return;
        const user: { identifier: string; metadata?: ProtoField } = { identifier: '' };
        const walk = this.r.each(f, this.budget, (u) => {
          if (u.wire !== WIRE_LEN) return;
          if (u.field === USER_OBJECT.identifier) return withText(this.r.text(u, NAME_CAP), (t) => (user.identifier = t));
          if (u.field === USER_OBJECT.metadata) user.metadata = u;
        });
        return andThen(walk, () =>
          user.metadata !== undefined && user.identifier.startsWith(KERAS_PREFIX) ? this.kerasJson(user.metadata, where) : undefined,
        );
      });
    });
  }

  private kerasJson(f: ProtoField, where: string): Step {
    if (f.length > this.ctx.limits.maxMetadataBytes) {
      this.ctx.report('scan-incomplete', `Keras metadata of ${where} is ${f.length} bytes, over the metadata limit; not analysed`, {
        offset: f.offset,
      });
      return;
    }
    return withText(this.r.text(f, f.length), (json) => {
      for (const lambda of checkKerasMetadata(json)) {
        this.out.report(
          'savedmodel-keras-lambda',
          lambda.name,
          `Keras Lambda layer '${printable(lambda.name)}' (${printable(where)}) stores ${lambda.detail}: keras.models.load_model runs it`,
          f.offset,
        );
      }
    });
  }
}

const VERB: Readonly<Record<OpRisk, string>> = {
  python: 'calls a Python function of the loading process',
  'file-read': 'reads or lists local files',
  'file-write': 'writes local files',
  network: 'connects to a remote address',
  'checkpoint-read': 'reads a checkpoint file',
  'checkpoint-write': 'writes or merges checkpoint files',
};

/** "^name:0" → "name": a tensor or control-input reference to the node that produces it. */
function nodeOf(ref: string): string {
  const bare = ref.startsWith('^') ? ref.slice(1) : ref;
  const colon = bare.indexOf(':');
  return colon < 0 ? bare : bare.slice(0, colon);
}

/** Library functions reachable from `roots` through calls (iterative: a hostile call graph cannot overflow a stack). */
function reachable(roots: string[], functions: Map<string, FunctionInfo>): Set<string> {
  const seen = new Set<string>();
  const todo = roots.filter((r) => functions.has(r));
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const callee of functions.get(name)?.callees ?? []) if (functions.has(callee) && !seen.has(callee)) todo.push(callee);
  }
  return seen;
}
