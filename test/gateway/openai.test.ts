import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaText, responseText } from '../../src/gateway/openai.js';

/** What the texts are by definition: each choice's content (chat) or text (completions), joined. */
const expected = (choices: unknown[], holder: 'message' | 'delta', sep: string): string =>
  choices
    .map((c) => {
      const x = c as { message?: { content?: unknown }; delta?: { content?: unknown }; text?: unknown } | null;
      const content = x?.[holder]?.content;
      return typeof content === 'string' ? content : typeof x?.text === 'string' ? x.text : '';
    })
    .join(sep);

describe('the texts of responses and stream events', () => {
  it('reads one choice or many, chat or completions, and ignores what is not text (fixed seed)', () => {
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null), fc.integer(), fc.constant(undefined));
    const choice = fc.oneof(
      fc.record({ delta: fc.record({ content: value }) }, { requiredKeys: [] }),
      fc.record({ message: fc.record({ content: value }) }, { requiredKeys: [] }),
      fc.record({ text: value, message: fc.constant(null) }, { requiredKeys: ['text'] }),
      fc.constant(null),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.array(choice, { maxLength: 4 }), (choices) => {
        expect(deltaText({ choices })).toBe(expected(choices, 'delta', ''));
        expect(responseText({ choices })).toBe(expected(choices, 'message', '\n'));
      }),
      { seed: 5, numRuns: 1000 },
    );
    expect(deltaText({ choices: [{ index: 0, delta: { content: 'Hel' } }] })).toBe('Hel');
    expect(responseText({ choices: [{ message: { content: 'a' } }, { text: 'b' }] })).toBe('a\nb');
    expect(deltaText(null)).toBe('');
    expect(responseText({ choices: 'x' })).toBe('');
  });
});
