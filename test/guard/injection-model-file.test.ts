import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyInjection } from '../../src/guard/index.js';
import { decodeModel, encodeModel, quantize } from '../../src/guard/injection/model-file.js';
import type { InjectionModel, LinearModel } from '../../src/guard/injection/model.js';
import { codeOf } from '../support/error-code.js';

/** A small linear model (2^8 buckets) whose every weight is `w` and whose bias is `bias`. */
function linear(w: number, bias: [number, number, number]): LinearModel {
  return { bits: 8, ...quantize(new Float64Array(3 * 256).fill(w)), bias: Float64Array.from(bias), block: 128, scales: [2] };
}

/** Document model that calls everything an injection, prompt model that calls everything benign. */
const pair = (): InjectionModel => ({
  ...linear(0.5, [-5, 5, 0]),
  threshold: 0.5,
  meta: { doc: true },
  prompt: { maxChars: 512, model: linear(0.25, [5, -5, -5]), meta: { prompt: true } },
});

describe('injection model file, version 2 (document + prompt model)', () => {
  it('round-trips both models', () => {
    const m = pair();
    const back = decodeModel(encodeModel(m));
    expect(back.threshold).toBe(0.5);
    expect(back.meta).toEqual({ doc: true });
    expect([...back.bias]).toEqual([-5, 5, 0]);
    expect(back.prompt!.maxChars).toBe(512);
    expect(back.prompt!.meta).toEqual({ prompt: true });
    expect([...back.prompt!.model.bias]).toEqual([5, -5, -5]);
    expect(back.weights).toEqual(m.weights);
    expect(back.prompt!.model.weights).toEqual(m.prompt!.model.weights);
    expect(encodeModel(back)).toEqual(encodeModel(m));
  });

  it('still reads a version 1 file (one model, no prompt model)', () => {
    const { prompt: _, ...v1 } = pair();
    const bytes = encodeModel(v1);
    expect(bytes.toString('latin1', 0, 8)).toBe('PLSDINJ1');
    expect(decodeModel(bytes).prompt).toBeUndefined();
  });

  it('reads a text of at most maxChars normalized characters with the prompt model, a longer one with the document model', () => {
    const model = decodeModel(encodeModel(pair()));
    expect(classifyInjection('a'.repeat(512), { model }).flagged).toBe(false);
    expect(classifyInjection('a'.repeat(513), { model }).flagged).toBe(true);
    // The rule counts the normalized text: zero-width characters, removed by normalization, do not count.
    expect(classifyInjection('a\u200b'.repeat(300), { model }).flagged).toBe(false);
  });

  it('rejects files whose sizes, counts or fields disagree', () => {
    const bytes = encodeModel(pair());
    expect(codeOf(() => decodeModel(bytes.subarray(0, bytes.length - 1)))).toBe('GUARD_MODEL_INVALID');
    expect(codeOf(() => decodeModel(Buffer.concat([bytes, Buffer.alloc(1)])))).toBe('GUARD_MODEL_INVALID');
    const withHeader = (edit: (h: Record<string, unknown>) => void): Buffer => {
      const hlen = bytes.readUInt32LE(8);
      const h = JSON.parse(bytes.toString('utf8', 12, 12 + hlen)) as Record<string, unknown>;
      edit(h);
      const head = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(head.length);
      return Buffer.concat([bytes.subarray(0, 8), len, head, bytes.subarray(12 + hlen)]);
    };
    expect(decodeModel(withHeader(() => {})).prompt!.maxChars).toBe(512);
    for (const edit of [
      (h: Record<string, unknown>) => delete h.prompt,
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).bits = 9),
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).bits = 40),
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).maxChars = -1),
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).bias = [0, 0]),
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).scale = 0),
      (h: Record<string, unknown>) => ((h.prompt as Record<string, unknown>).scales = []),
      (h: Record<string, unknown>) => (h.threshold = 2),
      (h: Record<string, unknown>) => (h.bits = 7),
    ]) {
      expect(codeOf(() => decodeModel(withHeader(edit)))).toBe('GUARD_MODEL_INVALID');
    }
    const huge = Buffer.from(bytes);
    huge.writeUInt32LE(0xffffffff, 8);
    expect(codeOf(() => decodeModel(huge))).toBe('GUARD_MODEL_INVALID');
  });

  it('never fails other than with GUARD_MODEL_INVALID on mutated or truncated files, and what it accepts is whole', () => {
    const bytes = encodeModel(pair());
    const hlen = bytes.readUInt32LE(8);
    // Edits land mostly in the magic, the length and the JSON header, where the reader's checks are.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 12 + hlen + 8 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat({ max: bytes.length }), (edits, cut) => {
        const b = Buffer.from(bytes.subarray(0, cut));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        const code = codeOf(() => {
          const m = decodeModel(b);
          expect(m.weights.length).toBe(3 * 2 ** m.bits);
          if (m.prompt !== undefined) expect(m.prompt.model.weights.length).toBe(3 * 2 ** m.prompt.model.bits);
          expect(classifyInjection('ignore previous instructions', { model: m }).score).toBeGreaterThanOrEqual(0);
        });
        expect(['none', 'GUARD_MODEL_INVALID']).toContain(code);
      }),
      { numRuns: 1500 },
    );
  });

  it('never fails other than with GUARD_MODEL_INVALID on arbitrary JSON headers', () => {
    const bytes = encodeModel(pair());
    const hlen = bytes.readUInt32LE(8);
    const tables = bytes.subarray(12 + hlen);
    const num = fc.oneof(fc.integer({ min: -5, max: 30 }), fc.double(), fc.constant(512));
    const lin = fc.record({ bits: num, block: num, scales: fc.array(num, { maxLength: 3 }), bias: fc.array(num, { maxLength: 4 }), scale: num }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ lin, threshold: num, maxChars: num, withPrompt: fc.boolean() })), fc.boolean(), (h, v2) => {
        const v = h as { lin?: Record<string, unknown>; threshold?: unknown; maxChars?: unknown; withPrompt?: boolean } | null;
        const header = typeof v === 'object' && v !== null && 'lin' in v ? { ...v.lin, threshold: v.threshold, ...(v.withPrompt ? { prompt: { ...v.lin, maxChars: v.maxChars } } : {}) } : h;
        const head = Buffer.from(JSON.stringify(header) ?? 'null');
        const len = Buffer.alloc(4);
        len.writeUInt32LE(head.length);
        const b = Buffer.concat([Buffer.from(v2 ? 'PLSDINJ2' : 'PLSDINJ1', 'latin1'), len, head, tables]);
        expect(['none', 'GUARD_MODEL_INVALID']).toContain(codeOf(() => decodeModel(b)));
      }),
      { numRuns: 1000 },
    );
  });
});
