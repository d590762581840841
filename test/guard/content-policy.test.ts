import { describe, expect, it } from 'vitest';
import { codeOf } from '../support/error-code.js';
import { checkContent, contentPolicyGuard, phishingScore, runGuards } from '../../src/guard/index.js';

const phish =
  'URGENT: unusual activity was detected and your account will be suspended within 24 hours. Click here http://192.168.4.7/login and verify your account by entering your password.';

describe('content-policy guard', () => {
  it('scores phishing and credential-harvesting text', () => {
    const p = phishingScore(phish);
    expect(p.score).toBeGreaterThanOrEqual(0.9);
    expect(p.cues.join(' ')).toContain('urgency');
    expect(runGuards(phish, [{ guard: contentPolicyGuard() }]).action).toBe('flag');
    expect(phishingScore('Please verify your account at https://bit.ly/x1 to keep access').score).toBeGreaterThanOrEqual(0.7);
  });

  it('does not flag ordinary mail about accounts and passwords', () => {
    for (const t of [
      'Your password was changed yesterday. If this was you, no action is needed.',
      'To reset your password, open Settings > Security in the app.',
      'The meeting is urgent: please join the call at 3 pm.',
      'Phishing emails often ask you to verify your account urgently; never click such links.',
    ]) {
      expect(phishingScore(t).score, t).toBeLessThan(0.7);
    }
  });

  it('matches deny topics as whole words on normalized text', () => {
    const opts = { denyTopics: [{ name: 'weapons', keywords: ['pipe bomb', 'nerve agent'] }] };
    const f = checkContent('Here is how to build a P1PE B0MB at home', opts, undefined);
    expect(f.map((x) => x.rule)).toEqual(['content-deny-topic']);
    expect(checkContent('The plumber fixed a pipe; the bomb squad was not needed', opts)).toEqual([]);
    expect(codeOf(() => contentPolicyGuard({ denyTopics: [{ name: 'x', keywords: [] }] }))).toBe('GUARD_PATTERN_INVALID');
  });

  it('survives malformed and huge text', () => {
    expect(checkContent('\udc00 password '.repeat(50_000))).toEqual([]);
  });
});
