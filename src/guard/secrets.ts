import type { Guard } from './guard.js';
import { GENERIC_SECRET, SECRET_RULES } from './secret-rules.js';
import type { GuardFinding } from './verdict.js';
import { allMatches } from './matches.js';

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Documentation placeholders: runs of one repeated character (sk-XXXX…, 0000…), the words example, placeholder,
 * your…key, redacted, and too few distinct characters for a random key.
 */
export function isPlaceholder(value: string): boolean {
  if (/(.)\1{5,}/.test(value)) return true;
  if (/example|placeholder|your[_-]?(?:api[_-]?)?(?:key|token|secret)|redacted|dummy|sample|<|\.\.\./i.test(value)) return true;
  return new Set(value).size < 8;
}

export interface SecretsOptions {
  /** Keyword-anchored high-entropy tokens (gitleaks' generic rule). Default true. */
  generic?: boolean;
  /** Bits per character a generic token must reach. Default 4.0. */
  minEntropy?: number;
}

/** Finds secrets in text; pure, linear in the text's length (every pattern is bounded). */
export function detectSecrets(text: string, opts: SecretsOptions = {}): GuardFinding[] {
  const findings: GuardFinding[] = [];
  const covered: { start: number; end: number }[] = [];
  for (const rule of SECRET_RULES) {
    for (const m of allMatches(text, rule.pattern)) {
      if (rule.id !== 'secret-private-key' && isPlaceholder(m[0])) continue;
      const span = { start: m.index, end: m.index + m[0].length };
      covered.push(span);
      findings.push({ guard: 'secrets', rule: rule.id, severity: rule.severity, score: 1, span, message: `${rule.name} (${m[0].length} characters)` });
    }
  }
  if (opts.generic !== false) {
    const min = opts.minEntropy ?? 4.0;
    for (const m of allMatches(text, GENERIC_SECRET)) {
      const token = m[1]!;
      const start = m.index + m[0].length - token.length;
      if (covered.some((c) => start < c.end && start + token.length > c.start)) continue;
      const h = entropy(token);
      // Random keys mix character classes; words, paths and hex digests of short text rarely reach the entropy.
      const classes = Number(/[a-z]/.test(token)) + Number(/[A-Z]/.test(token)) + Number(/\d/.test(token));
      if (h < min || classes < 2 || isPlaceholder(token)) continue;
      findings.push({
        guard: 'secrets',
        rule: 'secret-generic-high-entropy',
        severity: 'medium',
        score: Number(Math.min(1, (h - min) / 1.5 + 0.6).toFixed(3)),
        span: { start, end: start + token.length },
        message: `high-entropy token after a secret keyword (${h.toFixed(2)} bits per character)`,
      });
    }
  }
  return findings.sort((a, b) => a.span!.start - b.span!.start);
}

/** The `secrets` guard: provider keys, private keys, JWTs, keyword-anchored high-entropy tokens. Redacts by default. */
export function secretsGuard(opts: SecretsOptions = {}): Guard {
  return {
    name: 'secrets',
    description: 'API keys (OpenAI, Anthropic, Hugging Face, Google, AWS, GitHub, Slack, Stripe, …), private keys, JWTs, high-entropy tokens',
    defaults: { action: 'redact', threshold: 0.5, flagBelow: 0, onError: 'block', redact: 'placeholder' },
    check: (text) => detectSecrets(text, opts),
  };
}
