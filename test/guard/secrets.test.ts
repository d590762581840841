import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectSecrets, entropy, isPlaceholder } from '../../src/guard/index.js';

// Keys are assembled at run time from random-looking parts so no key-shaped literal sits in the repository.
const rand = (n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', seed = 7): string => {
  let s = '';
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += alphabet[(x >>> 16) % alphabet.length];
  }
  return s;
};
const rules = (text: string): string[] => detectSecrets(text).map((f) => f.rule);

describe('secrets guard', () => {
  const cases: [string, string][] = [
    ['secret-openai-key', `sk-proj-${rand(60, undefined, 1)}T3BlbkFJ${rand(60, undefined, 2)}`],
    ['secret-anthropic-key', `sk-ant-api03-${rand(93, undefined, 3)}AA`],
    ['secret-huggingface-token', `hf_${rand(34, undefined, 4)}`],
    ['secret-google-api-key', `AIza${rand(35, undefined, 5)}`],
    ['secret-aws-access-key', `AKIA${rand(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 6)}`],
    ['secret-github-token', `ghp_${rand(36, undefined, 8)}`],
    ['secret-slack-token', `xoxb-1234567890-${rand(24, undefined, 9)}`],
    ['secret-stripe-key', `sk_live_${rand(24, undefined, 10)}`],
    ['secret-groq-key', `gsk_${rand(52, undefined, 11)}`],
    ['secret-jwt', `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${rand(43, undefined, 12)}`],
    ['secret-private-key', `-----BEGIN RSA PRIVATE KEY-----\n${rand(64, undefined, 13)}\n-----END RSA PRIVATE KEY-----`],
    ['secret-private-key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${rand(70, undefined, 14)}\n-----END OPENSSH PRIVATE KEY-----`],
  ];
  for (const [rule, key] of cases) {
    it(`fires on ${rule}, with the exact span`, () => {
      const text = `config: use ${key} for prod`;
      const f = detectSecrets(text).find((x) => x.rule === rule);
      expect(f, rule).toBeDefined();
      expect(text.slice(f!.span!.start, f!.span!.end)).toBe(key);
      expect(f!.message).not.toContain(key);
    });
  }

  it('fires on a high-entropy token after a secret keyword', () => {
    expect(rules(`DB_PASSWORD=${rand(32, undefined, 20)}`)).toEqual(['secret-generic-high-entropy']);
    expect(rules(`Authorization: Bearer ${rand(40, undefined, 21)}`)).toEqual(['secret-generic-high-entropy']);
  });

  it('does not fire on placeholders, documentation examples and ordinary tokens', () => {
    for (const text of [
      'export OPENAI_API_KEY=sk-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      'sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'api_key: "<your-api-key>"',
      'token = YOUR_API_KEY_HERE_REPLACE_ME',
      'the password policy requires twelve characters',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 of the empty file',
      'see https://example.com/docs/authentication/getting-started for the token flow',
      'ghp_ prefixes mark GitHub personal tokens',
    ]) {
      expect(rules(text), text).toEqual([]);
    }
  });

  it('tells placeholders from keys', () => {
    expect(isPlaceholder('XXXXXXXXXXXXXXXX')).toBe(true);
    expect(isPlaceholder('AKIAIOSFODNN7EXAMPLE')).toBe(true);
    expect(isPlaceholder(rand(32))).toBe(false);
    expect(entropy('aaaa')).toBe(0);
    expect(entropy('abcd')).toBe(2);
  });

  it('survives malformed and huge input', () => {
    expect(detectSecrets('\ud800\udfff\ud800 sk-' + 'A'.repeat(100_000))).toEqual([]);
    expect(detectSecrets('token '.repeat(200_000)).length).toBe(0);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        for (const f of detectSecrets(s)) expect(f.span!.end).toBeLessThanOrEqual(s.length);
      }),
    );
  });
});
