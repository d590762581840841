import { defineRules } from './rule.js';

/** Rules that any format can raise. */
export const GENERIC_RULES = defineRules({
  'archive-too-deep': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Containers nested beyond the depth limit',
    help: 'Archives nested this deep are not opened, so their contents were not analysed. Unpack and scan the inner files, or reject the file.',
  },
  'scan-incomplete': {
    severity: 'medium',
    impact: 'suspicious',
    title: 'Part of the file could not be analysed',
    help: 'A limit was reached or a structure was not understood, so part of the file was not checked. Treat it as unverified until it is reviewed.',
  },
  'format-mismatch': {
    severity: 'low',
    impact: 'note',
    title: 'File extension does not match its content',
    help: 'The file was scanned as the format its bytes show. A model file whose extension lies about its content deserves a second look.',
  },
});
