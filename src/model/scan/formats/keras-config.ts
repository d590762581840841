import type { ScanContext } from '../context.js';
import { decodeBase64, summariseBytecode } from './keras-bytecode.js';
import {
  classifyModule,
  DANGEROUS_CODE_NAMES,
  isDangerousTfOp,
  isDangerousTfSymbol,
  KERAS_GADGETS,
  PYTHON_BUILTINS,
} from './keras-modules.js';
import { parseConfigJson } from './keras-json.js';

/** Where a config came from, for messages: the `.h5` attribute (with its file offset) or the archive member. */
export interface ConfigSource {
  label: string;
  offset?: number;
}

/** A file embedded in a config (a TorchModuleWrapper pickle) that the caller should scan as a member. */
export interface EmbeddedPayload {
  name: string;
  bytes: Uint8Array;
}

/** Keras configs nest models in models; Python's json module itself stops near 1000 levels. */
const MAX_DEPTH = 512;
const MAX_NODES = 20_000_000;
/** Findings per rule and config; the rest are counted in one closing finding. */
const MAX_PER_RULE = 50;

/** Keras 2 Lambda fields: (value, `*_type`, `*_module`) as written by Lambda.get_config. */
const LAMBDA_FIELDS = [
  ['function', 'function_type', 'module'],
  ['output_shape', 'output_shape_type', 'output_shape_module'],
  ['mask', 'mask_type', 'mask_module'],
] as const;

/** Config keys whose string values Keras resolves as callables or classes by name. */
const CALLABLE_KEY = /(^|_)(activation|initializer|regularizer|constraint|loss|optimizer|metrics|fn)$/;
const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const LOOKUP_LAYERS = new Set(['StringLookup', 'IntegerLookup', 'IndexLookup', 'TextVectorization']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const quote = (s: string): string => `'${s.length > 120 ? `${s.slice(0, 117)}...` : s}'`;

/**
 * Checks a Keras model config (Keras 2 `model_config`/`training_config` JSON, or Keras 3 `config.json`) for what
 * runs or imports code when Keras loads it. Nothing in it is evaluated; the JSON is parsed and walked with depth,
 * node and finding bounds. Returns the payloads embedded in it, for the caller to scan as members.
 */
export function analyseKerasConfig(bytes: Uint8Array, ctx: ScanContext, source: ConfigSource): EmbeddedPayload[] {
  const report = (rule: string, message: string): void => {
    ctx.report(rule, `${source.label}: ${message}`, source.offset === undefined ? {} : { offset: source.offset });
  };
  if (bytes.length > ctx.limits.maxMetadataBytes) {
    report('scan-incomplete', `${bytes.length} bytes exceeds the ${ctx.limits.maxMetadataBytes}-byte metadata limit; not analysed`);
    return [];
  }
  const parsed = parseConfigJson(bytes);
  if (!parsed.ok) {
    report('keras-invalid-config', `${parsed.error}; the model could not be analysed`);
    return [];
  }
  if (!isObject(parsed.value as Json)) {
    report('keras-invalid-config', 'is not a JSON object; Keras cannot load it as a model config');
    return [];
  }
  const walker = new ConfigWalker(report, source.label);
  walker.walk(parsed.value as Json, undefined, 0);
  walker.finish();
  return walker.payloads;
}

class ConfigWalker {
  readonly payloads: EmbeddedPayload[] = [];
  private nodes = 0;
  private stopped: string | undefined;
  private readonly path: (string | number)[] = [];
  private readonly layers: string[] = [];
  private readonly counts = new Map<string, number>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly report: (rule: string, message: string) => void,
    private readonly label: string,
  ) {}

  walk(value: Json, key: string | undefined, depth: number): void {
    if (this.stopped !== undefined) return;
    if (depth > MAX_DEPTH) {
      this.stopped = `nested deeper than ${MAX_DEPTH} levels at ${this.where()}`;
      return;
    }
    if (++this.nodes > MAX_NODES) {
      this.stopped = `has more than ${MAX_NODES} JSON values`;
      return;
    }
    if (typeof value === 'string') {
      if (key !== undefined) this.inspectString(key, value);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        this.path.push(i);
        // Array items keep their key, so `"metrics": ["a.b"]` is checked like `"activation": "a.b"`.
        this.walk(value[i]!, key, depth + 1);
        this.path.pop();
      }
      return;
    }
    if (!isObject(value)) return;
    const layer = layerLabel(value);
    if (layer !== undefined) this.layers.push(layer);
    this.inspectObject(value);
    for (const [k, v] of Object.entries(value)) {
      this.path.push(k);
      this.walk(v, k, depth + 1);
      this.path.pop();
    }
    if (layer !== undefined) this.layers.pop();
  }

  finish(): void {
    if (this.stopped !== undefined) this.report('scan-incomplete', `${this.stopped}; the rest was not analysed`);
    for (const [rule, n] of this.counts) {
      if (n > MAX_PER_RULE) this.report(rule, `${n - MAX_PER_RULE} more findings of this kind were not listed`);
    }
  }

  /** Reports once per distinct `key`, and at most MAX_PER_RULE times per rule. */
  private emit(rule: string, message: string, key = `${this.where()}|${message}`): void {
    const dedupe = `${rule}|${key}`;
    if (this.seen.has(dedupe)) return;
    this.seen.add(dedupe);
    const n = (this.counts.get(rule) ?? 0) + 1;
    this.counts.set(rule, n);
    if (n <= MAX_PER_RULE) this.report(rule, message);
  }

  /** The JSON path of the value being inspected, e.g. `$.config.layers[3].config`, shortened past 160 characters. */
  private pathString(): string {
    let p = '$';
    for (const s of this.path) p += typeof s === 'number' ? `[${s}]` : DOTTED.test(`a.${s}`) ? `.${s}` : `[${JSON.stringify(s)}]`;
    return p.length > 160 ? `${p.slice(0, 80)}…${p.slice(-79)}` : p;
  }

  private where(): string {
    const layer = this.layers[this.layers.length - 1];
    return layer === undefined ? `at ${this.pathString()}` : `in layer ${layer} at ${this.pathString()}`;
  }

  private inspectObject(obj: JsonObject): void {
    const cls = str(obj.class_name);
    const config = isObject(obj.config) ? obj.config : undefined;

    // Keras 3: a lambda anywhere (a Lambda layer's function, or an activation) is {"class_name": "__lambda__"}.
    if (cls === '__lambda__') this.bytecode(lambdaCode(obj.config));

    // Keras 2 / tf.keras Lambda.get_config: function + function_type + module (and output_shape_*, mask_*).
    for (const [valueKey, typeKey, moduleKey] of LAMBDA_FIELDS) {
      const type = str(obj[typeKey]);
      if (type === undefined) continue;
      if (type === 'lambda') this.bytecode(obj[valueKey]);
      const module = str(obj[moduleKey]);
      if (type === 'function') {
        const fn = str(obj[valueKey]) ?? '?';
        this.emit('keras-lambda-function', `Lambda ${valueKey} is the named function ${quote(fn)}${module ? ` from module ${quote(module)}` : ''} (${this.where()}); Keras resolves it from the loading code's custom objects`);
      }
      // The module's globals become the lambda's globals when it is loaded, so `os` hands it os.system.
      if (module !== undefined && classifyModule(module) === 'dangerous') {
        this.emit('keras-unsafe-module', `Lambda ${moduleKey} is ${quote(module)} (${this.where()}); its globals are given to the loaded function`);
      }
    }

    // Keras 3 (and tf.keras ≥ 2.13) object references: {"module", "class_name", "config", "registered_name"}.
    const module = str(obj.module);
    // Dunder class names (__lambda__, __tensor__, __numpy__ …) are decoded by Keras before any module lookup.
    const special = cls !== undefined && cls.startsWith('__') && cls !== '__typespec__';
    if (cls !== undefined && module !== undefined && !special && !('function_type' in obj)) this.reference(module, cls, obj);

    if (cls === 'Lambda' && config !== undefined && isObject(config.function)) {
      const fn = config.function;
      if (str(fn.class_name) === 'function') {
        const name = str(fn.config) ?? str(fn.registered_name) ?? '?';
        const from = str(fn.module);
        this.emit('keras-lambda-function', `Lambda calls the named function ${quote(name)}${from ? ` from module ${quote(from)}` : ''} (${this.where()})`);
      }
    }
    if (cls !== undefined && config !== undefined) this.inspectLayer(cls, config);
  }

  /** Layers whose config makes Keras run TensorFlow ops, unpickle, or read files. */
  private inspectLayer(cls: string, config: JsonObject): void {
    if (cls === 'TFOpLambda' || cls === 'SlicingOpLambda') {
      const symbol = str(config.function);
      if (symbol !== undefined && isDangerousTfSymbol(symbol)) {
        this.emit('keras-tf-op', `${cls} calls tf.${symbol} (${this.where()}), which reads or writes files, calls Python, or loads models`);
      }
    } else if (cls === 'TensorFlowOpLayer') {
      const nodeDef = config.node_def;
      const op = isObject(nodeDef) ? str(nodeDef.op) : undefined;
      if (op !== undefined && isDangerousTfOp(op)) {
        this.emit('keras-tf-op', `TensorFlowOpLayer runs the TensorFlow op ${op} (${this.where()}), which touches the file system or calls Python`);
      }
    } else if (cls === 'TorchModuleWrapper') {
      const payload = str(config.module);
      if (payload !== undefined) {
        const bytes = decodeBase64(payload);
        this.emit('keras-torch-module', `TorchModuleWrapper embeds ${bytes.length} bytes of torch.save output (${this.where()}); Keras loads it with torch.load(weights_only=False)`);
        this.payloads.push({ name: `${this.label}#${this.pathString()}.config.module`, bytes });
      }
    } else if (cls === 'TFSMLayer') {
      const path = str(config.filepath);
      if (path !== undefined) this.emit('keras-external-file', `TFSMLayer loads the SavedModel at ${quote(path)} (${this.where()})`);
    } else if (LOOKUP_LAYERS.has(cls)) {
      const vocab = str(config.vocabulary);
      if (vocab !== undefined) this.emit('keras-external-file', `${cls} reads its vocabulary from the file ${quote(vocab)} (${this.where()})`);
    }
  }

  /** A module + name that Keras 3 resolves with `_retrieve_class_or_fn`, importing the module before Keras 3.9. */
  private reference(module: string, cls: string, obj: JsonObject): void {
    const isFunction = cls === 'function';
    const name = isFunction ? (str(obj.config) ?? str(obj.registered_name) ?? '?') : cls === '__typespec__' ? (str(obj.spec_name) ?? cls) : cls;
    const what = `${isFunction ? 'function' : 'class'} ${quote(`${module}.${name}`)}`;
    const key = `${module}|${name}`;
    if (module === 'builtins' && isFunction) {
      // Keras 3 writes its own built-in functions (relu, binary_crossentropy) and registered ones ("pkg>fn")
      // under module "builtins"; only Python's builtins are a threat (Keras < 3.9 returns vars(builtins)[name]).
      if (!name.includes('>') && PYTHON_BUILTINS.has(name)) {
        this.emit('keras-unsafe-module', `refers to the Python builtin ${quote(name)} (${this.where()}); Keras < 3.9 calls it with arguments from the config`, key);
      }
      return;
    }
    switch (classifyModule(module)) {
      case 'keras':
        if (KERAS_GADGETS.has(name)) {
          this.emit('keras-unsafe-function', `refers to the Keras ${what} (${this.where()}), which downloads files, loads models or disables safe_mode when a config calls it`, key);
        }
        return;
      case 'dangerous':
        this.emit('keras-unsafe-module', `refers to the ${what} (${this.where()}); Keras < 3.9 imports ${quote(module)} and calls what it finds (CVE-2025-1550)`, key);
        return;
      case 'main':
        if (DANGEROUS_CODE_NAMES.has(name) || PYTHON_BUILTINS.has(name)) {
          this.emit('keras-unsafe-module', `refers to the ${what} (${this.where()}); it resolves to whatever the loading script calls ${quote(name)}`, key);
        } else {
          this.emit('keras-foreign-module', `refers to the ${what} (${this.where()}), defined in the script that saved the model; the loading code must provide it`, key);
        }
        return;
      case 'foreign':
        this.emit('keras-foreign-module', `refers to the ${what} (${this.where()}) from outside the Keras namespaces; Keras < 3.9 imports that module when loading`, key);
        return;
    }
  }

  private bytecode(code: Json | undefined): void {
    // func_dump stores (code, defaults, closure); Keras 1 and some writers store the code string alone.
    const text = typeof code === 'string' ? code : Array.isArray(code) && typeof code[0] === 'string' ? code[0] : undefined;
    if (text === undefined) {
      this.emit('keras-lambda-bytecode', `a Lambda declares bytecode in a form Keras cannot decode (${this.where()}); it was not analysed`);
      return;
    }
    const summary = summariseBytecode(decodeBase64(text));
    const shown = summary.names.slice(0, 12).join(', ');
    this.emit(
      'keras-lambda-bytecode',
      `Lambda holds ${summary.size} bytes of marshalled Python bytecode (${this.where()}) that runs when the model is loaded${shown ? `; names in it: ${shown}${summary.names.length > 12 ? ', …' : ''}` : ''}`,
    );
    const dangerous = summary.names.filter((n) => DANGEROUS_CODE_NAMES.has(n));
    if (dangerous.length > 0) {
      this.emit('keras-lambda-dangerous-code', `Lambda bytecode names ${dangerous.slice(0, 8).join(', ')} (${this.where()}); loading the model can run commands or reach the operating system`);
    }
  }

  private inspectString(key: string, value: string): void {
    if ((CALLABLE_KEY.test(key) || key === 'class_name') && DOTTED.test(value) && classifyModule(value) !== 'keras') {
      this.emit('keras-dotted-name', `${key} is the dotted import path ${quote(value)} (${this.where()}), not a Keras name`, `${key}|${value}`);
    }
  }
}

/** `'name' (Class)` for an object that looks like a layer config: a class_name and a name (its own or its config's). */
function layerLabel(obj: JsonObject): string | undefined {
  const cls = str(obj.class_name);
  if (cls === undefined) return undefined;
  const name = (isObject(obj.config) ? str(obj.config.name) : undefined) ?? str(obj.name);
  return name === undefined ? undefined : `${quote(name)} (${cls})`;
}

/** Keras 3 lambdas: Lambda layers store {code, defaults, closure}; serialization_lib stores {value: [code, …]}. */
function lambdaCode(config: Json | undefined): Json | undefined {
  if (!isObject(config)) return undefined;
  return config.code ?? config.value;
}
