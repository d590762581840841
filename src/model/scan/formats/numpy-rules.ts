import { defineRules } from '../rule.js';

/** Rules of the numpy scanner. */
export const NUMPY_RULES = defineRules({});
