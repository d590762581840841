import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { RegistryError } from './errors.js';

const Text = z.string().min(1).max(4000);
const Short = z.string().min(1).max(256);

/**
 * A model card: what the model was trained on, what it is for and not for, its limits, how it was measured, who
 * owns it and under which licence. Every field is required for a card to be complete; registration accepts a
 * partial card (the `card` gate blocks promotion until it is complete) but never a malformed one.
 */
export const ModelCardSchema = z.strictObject({
  description: Text,
  /** Task, e.g. text-classification. */
  task: Short.optional(),
  /** Architecture family, e.g. transformer. */
  architecture: Short.optional(),
  /** CycloneDX learning approach. */
  approach: z.enum(['supervised', 'unsupervised', 'reinforcement-learning', 'semi-supervised', 'self-supervised']).optional(),
  trainingData: z
    .array(
      z.strictObject({
        name: Short,
        /** Where it came from: a URL or a description. */
        source: Text,
        /** The registered dataset version it is, `name@version`. */
        dataset: Short.optional(),
      }),
    )
    .min(1),
  intendedUses: z.array(Text).min(1),
  outOfScopeUses: z.array(Text).min(1),
  limitations: z.array(Text).min(1),
  metrics: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, 'metric names are letters, digits and _ . -'),
        value: z.number().finite(),
        /** The dataset or slice measured on. */
        slice: Short.optional(),
      }),
    )
    .min(1),
  owners: z.array(z.strictObject({ name: Short, contact: Short.optional() })).min(1),
  /** SPDX licence expression, e.g. Apache-2.0. */
  license: z.string().regex(/^[A-Za-z0-9.+()\s-]{1,128}$/, 'expected an SPDX licence expression such as Apache-2.0'),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;
/** What registration accepts: any subset of the fields, each well-formed. */
export const CardDraftSchema = ModelCardSchema.partial();
export type CardDraft = z.infer<typeof CardDraftSchema>;

const MAX_CARD_BYTES = 256 * 1024;

/** The card's JSON Schema (`palisade model card --schema`). */
export function cardJsonSchema(): object {
  return { $id: 'https://palisade.dev/schemas/model-card/v1.json', title: 'Palisade model card', ...z.toJSONSchema(ModelCardSchema) };
}

/** Parses a card file (YAML or JSON) into a draft; malformed input or wrong types throw naming the field. */
export function parseCard(text: string): CardDraft {
  if (text.length > MAX_CARD_BYTES) throw new RegistryError('REGISTRY_CARD_INVALID', `the model card is larger than ${MAX_CARD_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, logLevel: 'error' });
  } catch (err) {
    throw new RegistryError('REGISTRY_CARD_INVALID', `the model card is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = CardDraftSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    const where = [...i.path.map(String), ...(i.code === 'unrecognized_keys' ? [i.keys[0]!] : [])].join('.') || '(top level)';
    throw new RegistryError('REGISTRY_CARD_INVALID', `the model card's '${where}' is wrong: ${i.message}; see palisade model card --schema`);
  }
  return r.data;
}

/** The fields a complete card still lacks (empty: complete). */
export function missingCardFields(card: CardDraft | undefined): string[] {
  if (card === undefined) return ['(no card)'];
  const r = ModelCardSchema.safeParse(card);
  return r.success ? [] : [...new Set(r.error.issues.map((i) => String(i.path[0] ?? '(card)')))];
}
