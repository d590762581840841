import { z } from 'zod';

/**
 * Per-guard settings the gateway config carries. `action` is what a finding at or above `threshold` does, except that
 * a finding scoring below `flagBelow` only flags (a two-tier policy: block what the guard is sure of, flag the band
 * under it). `onError` decides what happens when the guard cannot decide (input past its limits, a broken model):
 * `allow` lets the text through with a note, `block` refuses it (fail closed).
 */
export const GuardSettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  action: z.enum(['flag', 'redact', 'block']).optional(),
  /** Findings with a score below this are dropped; unset: the guard's own default. */
  threshold: z.number().min(0).max(1).optional(),
  /** Findings scoring below this only flag, whatever `action` says; 0 turns the band off. */
  flagBelow: z.number().min(0).max(1).optional(),
  onError: z.enum(['allow', 'block']).optional(),
  /** Redaction mode for guards that redact (pii, secrets). */
  redact: z.enum(['mask', 'hash', 'placeholder']).optional(),
});
export type GuardSettingsInput = z.input<typeof GuardSettingsSchema>;

/** Settings with every field decided: the guard's defaults under what the caller set. */
export interface GuardSettings {
  enabled: boolean;
  action: 'flag' | 'redact' | 'block';
  threshold: number;
  flagBelow: number;
  onError: 'allow' | 'block';
  redact: 'mask' | 'hash' | 'placeholder';
}

export type GuardDefaults = Omit<GuardSettings, 'enabled'>;
