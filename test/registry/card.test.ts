import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cardJsonSchema, cyclonedxBom, cyclonedxProblem, exportCyclonedx, huggingfaceCard, markdownCard, missingCardFields, ModelCardSchema, parseCard, parseRef } from '../../src/registry/index.js';
import { COMPLETE_CARD } from './fixtures.js';

const subject = { name: 'fraud', version: '1.0.0', rootDigest: 'ab'.repeat(32), card: ModelCardSchema.parse(COMPLETE_CARD) };

describe('model cards', () => {
  it('parses YAML cards, accepts partial ones and lists what a complete card still lacks', () => {
    expect(missingCardFields(parseCard(stringify(COMPLETE_CARD)))).toEqual([]);
    expect(missingCardFields(parseCard('description: a model\nlicense: MIT\n'))).toEqual(['trainingData', 'intendedUses', 'outOfScopeUses', 'limitations', 'metrics', 'owners']);
    expect(missingCardFields(undefined)).toEqual(['(no card)']);
  });

  it('refuses malformed cards naming the field', () => {
    expect(() => parseCard('metrics: [{ name: accuracy, value: high }]')).toThrow(/'metrics\.0\.value' is wrong/);
    expect(() => parseCard('licence: MIT')).toThrow(/'licence' is wrong/);
    expect(() => parseCard('a: [')).toThrow(/not valid YAML/);
    expect(() => parseCard('x'.repeat(300_000))).toThrow(/larger than/);
  });

  it('prints a JSON Schema whose required fields are the card fields', () => {
    const s = cardJsonSchema() as { required: string[]; properties: Record<string, unknown> };
    expect(s.required).toEqual(expect.arrayContaining(['trainingData', 'intendedUses', 'outOfScopeUses', 'limitations', 'metrics', 'owners', 'license']));
  });

  it('exports a CycloneDX 1.6 ML-BOM that the official schema accepts, and notices one it would not', () => {
    const bom = exportCyclonedx(subject, '3e671687-395b-41f5-a30f-a58921a69b79', new Date('2026-11-23T10:00:00Z')) as { components: { modelCard: { quantitativeAnalysis: unknown } }[] };
    expect(bom.components[0]!.modelCard.quantitativeAnalysis).toEqual({ performanceMetrics: [{ type: 'accuracy', value: '0.94', slice: 'holdout 2026-10' }] });
    const bad = cyclonedxBom(subject, 'not-a-uuid', new Date());
    expect(cyclonedxProblem(bad)).toMatch(/serialNumber/);
    expect(cyclonedxProblem({ ...bom, components: [{ ...bom.components[0], modelCard: { modelParameters: { approach: { type: 'guessing' } } } }] })).toBeDefined();
  });

  it('exports Hugging Face and Markdown cards', () => {
    const hf = huggingfaceCard(subject);
    expect(hf).toMatch(/^---\nlicense: apache-2.0\n/);
    expect(hf).toContain('model-index:');
    expect(markdownCard(subject)).toContain('## Out-of-scope uses\n- credit decisions');
  });

  it('never throws anything but a RegistryError on hostile card text or references', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.json().map((j) => j)), (text) => {
        try {
          parseCard(text);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('REGISTRY_CARD_INVALID');
        }
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (ref) => {
        try {
          const r = parseRef(ref);
          expect(`${r.name}@${r.at}`).toBe(ref);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('REGISTRY_NAME_INVALID');
        }
      }),
    );
  });
});
