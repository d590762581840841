import { defineRules } from '../rule.js';

/** Rules only the 7z reader raises; the rest are the shared archive rules (archive/rules.ts). */
export const SEVENZIP_RULES = defineRules({
  'sevenzip-anti-item': {
    severity: 'medium',
    impact: 'suspicious',
    title: '7z archive contains an anti-item (a deletion marker)',
    help: 'Anti-items tell 7-Zip to delete a file when the archive is extracted over an existing folder. They belong to update archives, not to models.',
  },
});
