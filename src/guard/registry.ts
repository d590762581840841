import { GuardError } from './errors.js';
import type { Guard, GuardContext } from './guard.js';
import { normalize, type Normalized } from './normalize/normalize.js';
import { redactSpans, type RedactItem } from './redact.js';
import { GuardSettingsSchema, type GuardSettings, type GuardSettingsInput } from './settings.js';
import { strongerAction, type GuardFinding, type Verdict } from './verdict.js';

/** The guards a gateway can compose, by name. */
export class GuardRegistry {
  readonly #guards = new Map<string, Guard>();

  constructor(guards: Iterable<Guard> = []) {
    for (const g of guards) this.register(g);
  }

  register(guard: Guard): this {
    if (this.#guards.has(guard.name)) throw new GuardError('GUARD_SETTINGS_INVALID', `a guard named '${guard.name}' is already registered: pick another name`);
    this.#guards.set(guard.name, guard);
    return this;
  }

  get(name: string): Guard {
    const g = this.#guards.get(name);
    if (g === undefined) throw new GuardError('GUARD_UNKNOWN', `no guard named '${name}': choose from ${this.names().join(', ')}`);
    return g;
  }

  names(): string[] {
    return [...this.#guards.keys()];
  }
}

/** The guard's defaults under the caller's settings, validated. */
export function resolveSettings(guard: Guard, input: GuardSettingsInput = {}): GuardSettings {
  const parsed = GuardSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new GuardError('GUARD_SETTINGS_INVALID', `settings for guard '${guard.name}': '${i.path.join('.')}': ${i.message}`);
  }
  const s = parsed.data;
  return {
    enabled: s.enabled,
    action: s.action ?? guard.defaults.action,
    threshold: s.threshold ?? guard.defaults.threshold,
    flagBelow: s.flagBelow ?? guard.defaults.flagBelow,
    onError: s.onError ?? guard.defaults.onError,
    redact: s.redact ?? guard.defaults.redact,
  };
}

/**
 * Resolved settings per guard and settings object, so a guard run on every request and every streamed token does not
 * validate its settings again each time (a schema parse per guard per call was the largest part of runGuards' own
 * cost). A settings object is read once: to change a guard's settings, pass a new object.
 */
const resolved = new WeakMap<Guard, WeakMap<GuardSettingsInput, GuardSettings>>();
const NO_SETTINGS: GuardSettingsInput = Object.freeze({});

function resolvedFor(entry: GuardEntry): GuardSettings {
  const input = entry.settings ?? NO_SETTINGS;
  let byInput = resolved.get(entry.guard);
  if (byInput === undefined) resolved.set(entry.guard, (byInput = new WeakMap()));
  let s = byInput.get(input);
  if (s === undefined) byInput.set(input, (s = resolveSettings(entry.guard, input)));
  return s;
}

export interface CheckOptions extends GuardContext {
  /** Text longer than this (UTF-16 units) is not inspected; each guard's `onError` decides. Default 1,000,000. */
  maxChars?: number;
  /** Salt for `hash` redaction. */
  salt?: string;
}

export interface GuardEntry {
  guard: Guard;
  settings?: GuardSettingsInput;
}

/**
 * Runs guards over one text and folds their findings into one verdict. A finding counts when it has no score or its
 * score reaches the guard's threshold; it takes the guard's action, or only flags when its score is below the guard's
 * `flagBelow`. The verdict's action is the strongest action of the findings. A guard that throws is handled by its
 * `onError` setting, never by failing the whole check.
 */
export function runGuards(text: string, entries: readonly GuardEntry[], opts: CheckOptions = {}): Verdict {
  const maxChars = opts.maxChars ?? 1_000_000;
  let action: Verdict['action'] = 'allow';
  const findings: GuardFinding[] = [];
  const toRedact: RedactItem[] = [];
  let mode: GuardSettings['redact'] = 'placeholder';
  let normalized: Normalized | undefined;
  const ctx: GuardContext = { ...opts, normalized: () => (normalized ??= normalize(text)) };
  for (const entry of entries) {
    const settings = resolvedFor(entry);
    if (!settings.enabled) continue;
    let found: GuardFinding[];
    try {
      if (text.length > maxChars) throw new GuardError('GUARD_INPUT_TOO_LARGE', `the text has ${text.length} characters, over the limit of ${maxChars}: split it, or raise maxChars`);
      found = entry.guard.check(text, ctx);
      // Most texts give a guard nothing to report: no filtered copy of an empty list.
      if (found.length > 0) found = found.filter((f) => f.score === undefined || f.score >= settings.threshold);
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      findings.push({ guard: entry.guard.name, rule: 'guard-undecided', severity: settings.onError === 'block' ? 'high' : 'low', message: `${err.code}: ${err.message}` });
      if (settings.onError === 'block') action = strongerAction(action, 'block');
      continue;
    }
    findings.push(...found);
    for (const f of found) {
      const sure = f.score === undefined || f.score >= settings.flagBelow;
      // Redaction needs a place in the text; without one, a redacting guard can only flag.
      const act = !sure || (settings.action === 'redact' && f.span === undefined) ? 'flag' : settings.action;
      if (act === 'redact') {
        mode = settings.redact;
        toRedact.push({ span: f.span!, kind: kindOf(f.rule) });
      }
      action = strongerAction(action, act);
    }
  }
  const verdict: Verdict = { action, findings };
  if (action === 'redact') verdict.redaction = redactSpans(text, toRedact, mode, opts.salt);
  return verdict;
}

/** `pii-email` → `EMAIL`, `secret-openai-key` → `OPENAI_KEY`: the placeholder kind. */
function kindOf(rule: string): string {
  return rule.replace(/^(pii|secret)-/, '').replace(/[^a-z0-9]+/gi, '_').toUpperCase();
}
