import type { Guard } from './guard.js';
import { classifyInjection, shippedInjectionModel } from './injection/classify.js';
import type { InjectionModel } from './injection/model.js';
import type { GuardFinding } from './verdict.js';

/** The score from which the guard is sure enough to block by default (a round level, not tuned; docs/design.md). */
export const INJECTION_SURE = 0.95;

/**
 * The `injection` guard: the trained classifier over normalized and decoded text. Fails closed by default (a text
 * it cannot read is blocked), and flags encodings nested past the decode limit, which benign text does not do.
 */
export function injectionGuard(model?: InjectionModel): Guard {
  const m = (): InjectionModel => model ?? shippedInjectionModel();
  return {
    name: 'injection',
    description: 'prompt injection and jailbreak classifier (hashed n-grams, trained on the public set)',
    get defaults() {
      return { action: 'block' as const, threshold: m().threshold, flagBelow: INJECTION_SURE, onError: 'block' as const, redact: 'placeholder' as const };
    },
    check(text, ctx) {
      // Threshold 0 here: the pipeline applies the configured threshold to `score`.
      const r = classifyInjection(text, { model: m(), threshold: 0, ...(ctx.normalized === undefined ? {} : { normalized: ctx.normalized() }) });
      const findings: GuardFinding[] = [];
      const via = r.encodings.length > 0 ? ` in ${r.encodings.join(' → ')}-decoded text` : '';
      const label = r.probabilities.injection >= r.probabilities.jailbreak ? 'injection' : 'jailbreak';
      findings.push({
        guard: 'injection',
        rule: label === 'injection' ? 'prompt-injection' : 'jailbreak',
        severity: r.score >= INJECTION_SURE ? 'high' : 'medium',
        score: Number(r.score.toFixed(4)),
        ...(r.span === undefined ? {} : { span: r.span }),
        message: `${label === 'injection' ? 'prompt injection' : 'jailbreak attempt'} (score ${r.score.toFixed(2)})${via}`,
      });
      if (r.depthLimited) findings.push({ guard: 'injection', rule: 'encoding-too-deep', severity: 'medium', message: 'encoded text nested deeper than the decode limit was left unread' });
      return findings;
    },
  };
}
