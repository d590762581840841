/** A Keras Lambda layer found in SavedModel metadata JSON. */
export interface LambdaLayer {
  name: string;
  /** What the layer stores, for the message: bytecode or a function reference. */
  detail: string;
}

/** JSON values visited per metadata document; Keras metadata of a large model has tens of thousands. */
const MAX_JSON_VALUES = 1_000_000;
const LAMBDA_RE = /"class_name"\s*:\s*"Lambda"/;

/**
 * Finds Lambda layers in a Keras metadata document (SavedUserObject.metadata or keras_metadata.pb), at any depth:
 * a layer's own metadata has `class_name` at the top, a model's has it in `config.layers[…]`.
 *
 * tf.keras `Lambda.get_config` writes `function_type` 'lambda' with `function` = base64 marshalled bytecode
 * (generic_utils.func_dump), which load_model turns back into code with marshal.loads; or 'function' with a
 * function name looked up in the named module. Both run Python chosen by the file when the layer is called.
 */
export function checkKerasMetadata(json: string): LambdaLayer[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    // Keras would not load it either, but a near-JSON document is still worth a look for the marker.
    return LAMBDA_RE.test(json) ? [{ name: '?', detail: 'a Python function (in metadata that is not valid JSON)' }] : [];
  }
  const found = new Map<string, LambdaLayer>();
  // Iterative walk with a value budget: deeply nested or huge documents cannot exhaust the stack or the time.
  const todo: unknown[] = [doc];
  for (let visited = 0; todo.length > 0 && visited < MAX_JSON_VALUES; visited++) {
    const v = todo.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') todo.push(item);
    } else if (v !== null && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      if (obj['class_name'] === 'Lambda') {
        const layer = describe(obj);
        if (!found.has(layer.name)) found.set(layer.name, layer);
      }
      for (const item of Object.values(obj)) if (item !== null && typeof item === 'object') todo.push(item);
    }
  }
  return [...found.values()];
}

function describe(obj: Record<string, unknown>): LambdaLayer {
  const config = obj['config'] !== null && typeof obj['config'] === 'object' ? (obj['config'] as Record<string, unknown>) : {};
  const name = str(config['name']) ?? str(obj['name']) ?? '?';
  const type = str(config['function_type']);
  const fn = config['function'];
  if (type === 'lambda') return { name, detail: 'marshalled Python bytecode' };
  if (typeof fn === 'string') {
    const module = str(config['module']);
    return { name, detail: `a reference to the Python function '${module === undefined ? fn : `${module}.${fn}`}'` };
  }
  return { name, detail: 'a Python function' };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
