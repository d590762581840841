import { stringify } from 'yaml';
import type { CardSubject } from './cyclonedx.js';

const bullets = (xs: readonly string[]): string => xs.map((x) => `- ${x}`).join('\n');

/** The card's sections in Markdown (shared by the plain and the Hugging Face exports). */
function sections(s: CardSubject): string {
  const c = s.card;
  return [
    `# ${s.name} ${s.version}`,
    '',
    c.description,
    '',
    `OMS root digest: \`${s.rootDigest}\``,
    '',
    '## Intended uses',
    bullets(c.intendedUses),
    '',
    '## Out-of-scope uses',
    bullets(c.outOfScopeUses),
    '',
    '## Limitations',
    bullets(c.limitations),
    '',
    '## Training data',
    bullets(c.trainingData.map((d) => `${d.name}: ${d.source}${d.dataset === undefined ? '' : ` (registered as ${d.dataset})`}`)),
    '',
    '## Evaluation',
    '| metric | value | slice |',
    '|---|---|---|',
    ...c.metrics.map((m) => `| ${m.name} | ${m.value} | ${m.slice ?? ''} |`),
    '',
    '## Owners',
    bullets(c.owners.map((o) => (o.contact === undefined ? o.name : `${o.name} (${o.contact})`))),
    '',
    '## Licence',
    c.license,
    '',
  ].join('\n');
}

export const markdownCard = (s: CardSubject): string => sections(s);

/**
 * A Hugging Face model card: README.md with YAML metadata (licence, datasets, model-index with the metrics) on top
 * of the same sections.
 */
export function huggingfaceCard(s: CardSubject): string {
  const c = s.card;
  const meta = {
    license: c.license.toLowerCase(),
    ...(c.task === undefined ? {} : { pipeline_tag: c.task }),
    datasets: c.trainingData.map((d) => d.name),
    'model-index': [{ name: s.name, results: [{ task: { type: c.task ?? 'other' }, metrics: c.metrics.map((m) => ({ type: m.name, value: m.value, ...(m.slice === undefined ? {} : { name: `${m.name} (${m.slice})` }) })) }] }],
  };
  return `---\n${stringify(meta)}---\n\n${sections(s)}`;
}
