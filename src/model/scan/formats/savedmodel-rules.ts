import { defineRules } from '../rule.js';

/** Rules of the savedmodel scanner. */
export const SAVEDMODEL_RULES = defineRules({});
