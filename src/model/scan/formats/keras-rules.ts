import { defineRules } from '../rule.js';

/** Rules of the keras scanner. */
export const KERAS_RULES = defineRules({});
