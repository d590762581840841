import { defineRules } from '../rule.js';

/** Rules of the gguf scanner. */
export const GGUF_RULES = defineRules({});
