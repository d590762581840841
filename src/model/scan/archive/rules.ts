import { defineRules } from '../rule.js';

/** Rules of the container readers: zip, tar, 7z and single-stream compression. */
export const ARCHIVE_RULES = defineRules({});
