import type { ScanContext } from '../context.js';
import { CappedReporter, printable } from './capped-reporter.js';
import type { BlobReader} from './protobuf.js';
import { WIRE_LEN, andThen, withText, type FieldBudget, type ProtoField, type Step } from './protobuf.js';
import { OpJudge, newGraphState, setSaver, type FunctionInfo, type GraphState, type NodeInfo } from './savedmodel-judge.js';
import { checkKerasMetadata } from './savedmodel-keras.js';
import { WATCHED_ATTRS } from './savedmodel-rules.js';

/*
 * Field numbers from TensorFlow's protos: core/protobuf/saved_model.proto, meta_graph.proto, saver.proto,
 * saved_object_graph.proto; core/framework/graph.proto, node_def.proto, function.proto, op_def.proto,
 * attr_value.proto; and Keras's keras/protobuf/saved_metadata.proto (keras_metadata.pb).
 */
export const SAVED_MODEL = { schemaVersion: 1, metaGraphs: 2 } as const;
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
export const KERAS_METADATA = { nodes: 1 } as const;
export const KERAS_NODE = { nodePath: 3, identifier: 4, metadata: 5 } as const;
/** Identifiers of Keras objects in the object graph and keras_metadata.pb (`_tf_keras_layer`, `_tf_keras_model` …). */
export const KERAS_PREFIX = '_tf_keras';

/** Fields one scan may visit (see MAX_ONNX_FIELDS): bounds the time a graph of empty nodes can cost. */
export const MAX_SAVEDMODEL_FIELDS = 20_000_000;
const NAME_CAP = 512;
const ATTR_VALUE_CAP = 4096;
/** Function nodes are judged in batches of this many, so a huge function does not pile up in memory. */
const NODE_BATCH = 4096;

/**
 * One pass over a SavedModel (or keras_metadata.pb). It reads names, op types, function references and a few
 * string attrs; tensors and everything else are skipped unread. What the ops mean is decided by `OpJudge`.
 */
export class SavedModelWalk {
  readonly ops = new Map<string, number>();
  readonly out: CappedReporter;
  private readonly judge: OpJudge;
  private readonly budget: FieldBudget = { fields: MAX_SAVEDMODEL_FIELDS };
  /** The node most recently read by `node` (walks are sequential, so one slot suffices). */
  private current: NodeInfo = { name: '', op: '', calls: [], strings: [] };

  constructor(
    private readonly r: BlobReader,
    private readonly ctx: ScanContext,
  ) {
    this.out = new CappedReporter(ctx);
    this.judge = new OpJudge(this.out);
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
    const g = newGraphState(parts.hasAssets);
    if (parts.saver !== undefined) await this.saverDef(parts.saver, g);
    if (parts.graph !== undefined) await this.graphDef(parts.graph, g);
    this.judge.checkpointOps(g);
    if (parts.objects !== undefined) await this.objectGraph(parts.objects);
  }

  private async saverDef(s: ProtoField, g: GraphState): Promise<void> {
    const names: { save?: string; restore?: string } = {};
    await this.r.each(s, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === SAVER_DEF.saveTensorName) return withText(this.r.text(f, NAME_CAP), (t) => (names.save = t));
      if (f.field === SAVER_DEF.restoreOpName) return withText(this.r.text(f, NAME_CAP), (t) => (names.restore = t));
    });
    setSaver(g, names.save, names.restore);
  }

  private graphDef(gd: ProtoField, g: GraphState): Step {
    return this.r.each(gd, this.budget, (f) => {
      if (f.wire !== WIRE_LEN) return;
      if (f.field === GRAPH_DEF.node) return andThen(this.node(f), () => this.judge.graphNode(this.current, g, f.tagOffset));
      if (f.field === GRAPH_DEF.library) {
        return this.r.each(f, this.budget, (fn) => {
          if (fn.field === FUNCTION_LIBRARY.function && fn.wire === WIRE_LEN) return this.functionDef(fn, g);
        });
      }
    });
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
        // The name (signature, field 1) is serialized before the nodes, so batches already carry it.
        return andThen(this.node(f), () => {
          pending.push([this.current, f.tagOffset]);
          if (pending.length >= NODE_BATCH) this.judge.functionNodes(fn, pending.splice(0), g);
        });
      }
    });
    return andThen(walk, () => {
      this.judge.functionNodes(fn, pending, g);
      if (!g.functions.has(fn.name)) g.functions.set(fn.name, fn);
    });
  }

  /** Reads a NodeDef's name, op, called functions and watched string attrs into `current`. */
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

  /** An AttrValue; `tensor` (8) and `shape` (7) values, the big ones, are skipped unread. */
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
      this.ctx.report('scan-incomplete', `Keras metadata of ${printable(where)} is ${f.length} bytes, over the metadata limit; not analysed`, {
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
