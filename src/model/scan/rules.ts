import { ARCHIVE_RULES } from './archive/rules.js';
import { SEVENZIP_RULES } from './archive/sevenzip-rules.js';
import { GENERIC_RULES } from './generic-rules.js';
import { GGUF_RULES } from './formats/gguf-rules.js';
import { KERAS_RULES } from './formats/keras-rules.js';
import { NUMPY_RULES } from './formats/numpy-rules.js';
import { ONNX_RULES } from './formats/onnx-rules.js';
import { SAFETENSORS_RULES } from './formats/safetensors-rules.js';
import { SAVEDMODEL_RULES } from './formats/savedmodel-rules.js';
import { PICKLE_RULES } from './pickle/rules.js';
import type { RuleMeta, RuleTable } from './rule.js';

/** Every scanner rule, by id. Ids are stable API: docs/scan-rules.md lists them and a test keeps the two in step. */
export const RULES: Readonly<RuleTable> = Object.freeze({
  ...GENERIC_RULES,
  ...PICKLE_RULES,
  ...ARCHIVE_RULES,
  ...SEVENZIP_RULES,
  ...NUMPY_RULES,
  ...SAFETENSORS_RULES,
  ...GGUF_RULES,
  ...ONNX_RULES,
  ...SAVEDMODEL_RULES,
  ...KERAS_RULES,
});

export function ruleMeta(id: string): RuleMeta {
  const meta = RULES[id];
  // A scanner reporting an unregistered rule is a bug in Palisade, not in the scanned file.
  if (meta === undefined) throw new Error(`internal: scanner rule '${id}' is not registered in src/model/scan/rules.ts`);
  return meta;
}
