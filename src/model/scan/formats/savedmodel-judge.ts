import { printable, type CappedReporter } from './capped-reporter.js';
import { RISKY_OPS, RISK_RULE, URL_ATTRS, classifyTarget, type OpRisk } from './savedmodel-rules.js';

/** What the walker read of one NodeDef. */
export interface NodeInfo {
  name: string;
  op: string;
  /** Functions named by func-typed attrs (`f`, `then_branch`, `body` …). */
  calls: string[];
  /** Values of the watched string attrs, as [attr name, value]. */
  strings: [string, string][];
}

/** A library function: what it calls, and the checkpoint ops it holds (judged once the saver's functions are known). */
export interface FunctionInfo {
  name: string;
  callees: Set<string>;
  checkpointOps: { op: string; risk: OpRisk; node: string; offset: number }[];
}

/** What one MetaGraphDef says about its saver, and the state gathered while walking its graph. */
export interface GraphState {
  /** Node names of saver_def.save_tensor_name and restore_op_name. */
  saveEntry: string | undefined;
  restoreEntry: string | undefined;
  /** TF1 savers live in a name scope ("save/…"): nodes under it are the saver's. */
  saverScopes: string[];
  /** asset_file_def is present: vocabulary files are read from the model's assets/ folder. */
  hasAssets: boolean;
  /** Functions the saver entry nodes call. */
  saveRoots: string[];
  restoreRoots: string[];
  functions: Map<string, FunctionInfo>;
}

export function newGraphState(hasAssets: boolean): GraphState {
  return { saveEntry: undefined, restoreEntry: undefined, saverScopes: [], hasAssets, saveRoots: [], restoreRoots: [], functions: new Map() };
}

/** Records the saver entries of saver_def, given as tensor or op names. */
export function setSaver(g: GraphState, saveTensor: string | undefined, restoreOp: string | undefined): void {
  g.saveEntry = saveTensor === undefined ? undefined : nodeOf(saveTensor);
  g.restoreEntry = restoreOp === undefined ? undefined : nodeOf(restoreOp);
  for (const entry of [g.saveEntry, g.restoreEntry]) {
    const cut = entry?.lastIndexOf('/') ?? -1;
    if (entry !== undefined && cut > 0) g.saverScopes.push(entry.slice(0, cut + 1));
  }
}

/** Function-call edges kept to find the saver's functions; past this, checkpoint ops are judged without them. */
const MAX_EDGES = 1_000_000;

const VERB: Readonly<Record<OpRisk, string>> = {
  python: 'calls a Python function of the loading process',
  'file-read': 'reads or lists local files',
  'file-write': 'writes local files',
  network: 'connects to a remote address',
  'checkpoint-read': 'reads a checkpoint file',
  'checkpoint-write': 'writes or merges checkpoint files',
};

/** Decides which ops are findings. Risky ops are reported at once; checkpoint ops in functions wait for the saver. */
export class OpJudge {
  private edges = 0;

  constructor(private readonly out: CappedReporter) {}

  /** A node of the main graph (GraphDef.node). */
  graphNode(node: NodeInfo, g: GraphState, offset: number): void {
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

  /** Nodes of a library function, with their offsets. */
  functionNodes(fn: FunctionInfo, nodes: [NodeInfo, number][], g: GraphState): void {
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

  /**
   * The saver's own functions may save and restore checkpoints: SaveV2/MergeV2Checkpoints in functions reachable
   * from saver_def.save_tensor_name, RestoreV2 in those reachable from restore_op_name (TF2 writes them as
   * `__inference__traced_save_N` / `__inference__traced_restore_N`). The same ops anywhere else, or a write on the
   * restore path (which runs at load time), are reported. TF1 savers share one name scope for both directions, so
   * there the scope alone decides.
   */
  checkpointOps(g: GraphState): void {
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
}

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
