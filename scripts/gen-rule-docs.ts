/** Writes docs/scan-rules.md from the rule table: `npx tsx scripts/gen-rule-docs.ts`. A test keeps it in step. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRuleDocs } from '../src/model/scan/rule-docs.js';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'scan-rules.md'), renderRuleDocs());
