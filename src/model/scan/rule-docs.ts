import { RULES } from './rules.js';

/** The rule reference as Markdown, grouped by the verdict each rule leads to. */
export function renderRuleDocs(): string {
  const lines = [
    '# Scanner rules',
    '',
    'Generated from `src/model/scan/rules.ts` by `npx tsx scripts/gen-rule-docs.ts`; a test fails when the two differ.',
    'Rule ids are stable: never renamed or reused. `unsafe` rules make a file unsafe, `suspicious` rules make it',
    'suspicious, `note` rules are reported but leave the verdict alone.',
    '',
  ];
  for (const impact of ['unsafe', 'suspicious', 'note'] as const) {
    lines.push(`## ${impact}`, '', '| rule | severity | what it finds | what to do |', '|---|---|---|---|');
    for (const [id, r] of Object.entries(RULES).sort(([a], [b]) => a.localeCompare(b))) {
      if (r.impact !== impact) continue;
      lines.push(`| \`${id}\` | ${r.severity} | ${r.title} | ${r.help.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
