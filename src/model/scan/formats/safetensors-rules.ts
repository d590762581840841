import { defineRules } from '../rule.js';

/** Rules of the safetensors scanner. */
export const SAFETENSORS_RULES = defineRules({});
