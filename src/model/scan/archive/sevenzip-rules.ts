import { defineRules } from '../rule.js';

/** Rules of the 7z reader and the LZMA decoders. */
export const SEVENZIP_RULES = defineRules({});
