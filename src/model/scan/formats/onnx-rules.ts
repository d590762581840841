import { defineRules } from '../rule.js';

/** Rules of the onnx scanner. */
export const ONNX_RULES = defineRules({});
