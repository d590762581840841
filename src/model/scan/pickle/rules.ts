import { defineRules } from '../rule.js';

/** Rules of the pickle walker. */
export const PICKLE_RULES = defineRules({});
