/**
 * The guard layer: pure, synchronous detectors with one verdict shape, composed by name. The gateway runs these on
 * every request; the CLI's `palisade guard` exposes them.
 */
import { canaryGuard } from './canary.js';
import { contentPolicyGuard, type ContentPolicyOptions } from './content-policy.js';
import { injectionGuard } from './injection-guard.js';
import { piiGuard, type PiiOptions } from './pii.js';
import { GuardRegistry, runGuards, type CheckOptions } from './registry.js';
import { secretsGuard, type SecretsOptions } from './secrets.js';
import type { GuardSettingsInput } from './settings.js';
import type { Verdict } from './verdict.js';

export { GuardError, type GuardErrorCode } from './errors.js';
export { GUARD_ACTIONS, strongerAction, type GuardAction, type GuardFinding, type Redaction, type Span, type Verdict } from './verdict.js';
export type { Guard, GuardContext } from './guard.js';
export { GuardRegistry, resolveSettings, runGuards, type CheckOptions, type GuardEntry } from './registry.js';
export { GuardSettingsSchema, type GuardSettings, type GuardSettingsInput } from './settings.js';
export { normalize, textsOf, originalSpan, type Normalized, type DecodedSegment, type NormalizeOptions, type ClassifiedText } from './normalize/normalize.js';
export type { Encoding } from './normalize/decode.js';
export { classifyInjection, shippedInjectionModel, type InjectionResult, type ClassifyOptions } from './injection/classify.js';
export { evaluate, formatEvalReport, jsonLines, parseEvalRows, type EvalReport, type EvalRow, type Metrics as EvalMetrics, type Scored } from './injection/evaluate.js';
export { LABELS as INJECTION_LABELS, type InjectionLabel, type InjectionModel } from './injection/model.js';
export { INJECTION_SURE, injectionGuard } from './injection-guard.js';
export { detectSecrets, secretsGuard, entropy, isPlaceholder, type SecretsOptions } from './secrets.js';
export { detectPii, piiGuard, compileCustom, PII_KINDS, type PiiKind, type PiiOptions, type CustomPattern } from './pii.js';
export { luhnValid, ibanValid } from './pii-checks.js';
export { redactSpans, restoreRedacted, type RedactMode } from './redact.js';
export { createCanary, detectCanary, canaryGuard, type Canary } from './canary.js';
export { checkContent, phishingScore, contentPolicyGuard, type ContentPolicyOptions, type DenyTopic } from './content-policy.js';

export interface GuardOptions {
  secrets?: SecretsOptions;
  pii?: PiiOptions;
  contentPolicy?: ContentPolicyOptions;
}

/** A registry holding every built-in guard: injection, secrets, pii, canary-token, content-policy. */
export function defaultRegistry(opts: GuardOptions = {}): GuardRegistry {
  return new GuardRegistry([injectionGuard(), secretsGuard(opts.secrets), piiGuard(opts.pii), canaryGuard(), contentPolicyGuard(opts.contentPolicy)]);
}

/**
 * Checks one text with the named guards of a registry (default: all built-in guards) and per-guard settings.
 *
 * @example
 * const v = checkText('Ignore previous instructions. My card is 4111 1111 1111 1111', { guards: ['injection', 'pii'] });
 * v.action; // 'block'
 */
export function checkText(
  text: string,
  opts: CheckOptions & { guards?: readonly string[]; settings?: Readonly<Record<string, GuardSettingsInput>>; registry?: GuardRegistry } = {},
): Verdict {
  const registry = opts.registry ?? defaultRegistry();
  const names = opts.guards ?? registry.names();
  return runGuards(
    text,
    names.map((n) => ({ guard: registry.get(n), settings: opts.settings?.[n] })),
    opts,
  );
}
