import { createCanary, restoreRedacted, runGuards, type GuardEntry, type GuardFinding, type Verdict } from '../guard/index.js';
import { requestTexts, type Endpoint } from './openai.js';

/** The guards a gateway runs, resolved from the config by the composition root. */
export interface GatewayGuards {
  input: GuardEntry[];
  output: GuardEntry[];
  /** Put placeholders of redacted input back into the response for the caller (redact-then-restore). */
  restore: boolean;
}

/** What the audit entry keeps of a guard decision: never the matched text. */
export interface GuardNote {
  stage: 'input' | 'output';
  guard: string;
  rule: string;
  action: Verdict['action'];
  where?: string;
}

export interface InputResult {
  blocked?: { guard: string; rule: string; where: string };
  notes: GuardNote[];
  /** Placeholder → original, for restoring the response (empty unless something was redacted). */
  restore: Record<string, string>;
  /** Canary tokens placed in this request's system prompt. */
  canaries: string[];
}

const hasGuard = (entries: readonly GuardEntry[], name: string): boolean => entries.some((e) => e.guard.name === name);

/** Roles whose text the application writes itself: its instructions are not checked as if a user had sent them. */
const TRUSTED_ROLES = new Set(['system', 'developer']);

/**
 * Runs the input guards over every text of the request that a user or a tool supplied (each user and tool message,
 * assistant turns and tool-call arguments too; system and developer prompts are the application's own) and applies
 * the verdicts to the body in place: a block stops the request; a redaction replaces only the matched spans. When the
 * output guards include `canary-token`, a fresh canary is put into the system prompt so that a response leaking the
 * prompt gives itself away.
 */
export function guardInput(endpoint: Endpoint, body: Record<string, unknown>, guards: GatewayGuards): InputResult {
  const out: InputResult = { notes: [], restore: {}, canaries: [] };
  if (guards.input.length > 0) {
    for (const t of requestTexts(endpoint, body)) {
      if (TRUSTED_ROLES.has(t.role)) continue;
      const v = runGuards(t.text, guards.input, { stage: 'input' });
      if (v.action === 'allow') continue;
      const first = v.findings[0]!;
      for (const f of v.findings) out.notes.push(note('input', f, v.action, t.where));
      if (v.action === 'block') {
        const b = v.findings.find((f) => f.severity !== 'low') ?? first;
        out.blocked = { guard: b.guard, rule: b.rule, where: t.where };
        return out;
      }
      if (v.action === 'redact' && v.redaction !== undefined) t.set(mergePlaceholders(v.redaction.text, v.redaction.restore, out.restore));
    }
  }
  if (endpoint === 'chat' && hasGuard(guards.output, 'canary-token') && Array.isArray(body.messages)) {
    const c = createCanary();
    out.canaries.push(c.token);
    body.messages = [{ role: 'system', content: c.instruction }, ...(body.messages as unknown[])];
  }
  return out;
}

/**
 * Placeholders are numbered per text; across the messages of one request `[EMAIL_1]` may mean two addresses.
 * Renumbers this text's placeholders where they clash and merges its map into the request's.
 */
function mergePlaceholders(text: string, restore: Record<string, string>, into: Record<string, string>): string {
  let out = text;
  for (const [ph, original] of Object.entries(restore)) {
    if (!Object.hasOwn(into, ph) || into[ph] === original) {
      into[ph] = original;
      continue;
    }
    const kind = ph.slice(1, ph.lastIndexOf('_'));
    let n = 1;
    while (Object.hasOwn(into, `[${kind}_${n}]`) && into[`[${kind}_${n}]`] !== original) n++;
    const fresh = `[${kind}_${n}]`;
    into[fresh] = original;
    out = out.split(ph).join(fresh);
  }
  return out;
}

function note(stage: GuardNote['stage'], f: GuardFinding, action: Verdict['action'], where?: string): GuardNote {
  return { stage, guard: f.guard, rule: f.rule, action, ...(where === undefined ? {} : { where }) };
}

/** The output verdict of one whole (non-streamed) text, applied: the text to send, or the finding that blocks it. */
export function guardOutputText(text: string, guards: GatewayGuards, input: InputResult, notes: GuardNote[]): { text: string; blocked?: GuardFinding } {
  let out = text;
  if (guards.output.length > 0) {
    const v = runGuards(text, guards.output, { stage: 'output', canaries: input.canaries });
    for (const f of v.findings) notes.push(note('output', f, v.action));
    if (v.action === 'block') return { text: '', blocked: v.findings.find((f) => f.severity !== 'low') ?? v.findings[0]! };
    if (v.action === 'redact' && v.redaction !== undefined) out = v.redaction.text;
  }
  return { text: guards.restore ? restoreRedacted(out, input.restore) : out };
}

/** Characters of already-sent text re-scanned with each new chunk, so a match split across chunks is still found. */
const LOOKBACK = 256;
/** The most text ever held back from the client. */
const MAX_HOLD = 256;

/**
 * Output guards over a stream of text deltas. Each push scans the new text together with a lookback over what was
 * already sent, then releases everything except a tail that could still grow into a match: a trailing word with
 * digits or symbols (a key, an address, a number), a long trailing word, or a trailing run of digit groups. Plain
 * words go out at once, so the first token waits for nothing but the guards' own time.
 */
export class StreamGuard {
  private text = '';
  private sent = 0;
  private scanned = 0;
  private readonly noted = new Set<string>();

  constructor(
    private readonly guards: GatewayGuards,
    private readonly input: InputResult,
    private readonly notes: GuardNote[],
  ) {}

  /** Adds text without scanning it: the next scan, push or end scans everything added since the last one, together. */
  append(delta: string): void {
    this.text += delta;
  }

  /** Scans what was appended; returns what may go out now, as push does. */
  scan(): { emit: string; blocked?: GuardFinding } {
    return this.release(false);
  }

  /**
   * Text to send now, and the finding that ends the stream if there is one (then `emit` is the clean text before it,
   * which the stream's last event may still carry).
   */
  push(delta: string): { emit: string; blocked?: GuardFinding } {
    this.text += delta;
    return this.release(false);
  }

  /** The held-back rest at the end of the stream (scanned once more). */
  end(): { emit: string; blocked?: GuardFinding } {
    return this.release(true);
  }

  private release(final: boolean): { emit: string; blocked?: GuardFinding } {
    if (this.guards.output.length > 0 && this.text.length > this.scanned) {
      const from = Math.max(0, this.sent - LOOKBACK);
      const window = this.text.slice(from);
      this.scanned = this.text.length;
      const v = runGuards(window, this.guards.output, { stage: 'output', canaries: this.input.canaries });
      if (v.action !== 'allow') {
        // Findings wholly inside text already sent were decided on an earlier push.
        const fresh = v.findings.filter((f) => f.span === undefined || from + f.span.end > this.sent);
        for (const f of fresh) {
          if (this.noted.has(`${f.guard}:${f.rule}`)) continue;
          this.noted.add(`${f.guard}:${f.rule}`);
          this.notes.push(note('output', f, v.action));
        }
        if (v.action === 'block' && fresh.length > 0) {
          // What came before the first finding was scanned clean and goes out (less a tail that could belong to the
          // match), as it would have had it arrived in a read of its own; the stream ends after it.
          let cut = this.text.length;
          for (const f of fresh) cut = Math.min(cut, f.span === undefined ? this.sent : from + f.span.start);
          const before = this.text.slice(this.sent, Math.max(this.sent, cut));
          const emit = before.slice(0, before.length - heldTail(before));
          this.sent += emit.length;
          return { emit: this.guards.restore ? restoreRedacted(emit, this.input.restore) : emit, blocked: fresh[0]! };
        }
        if (v.action === 'redact' && v.redaction !== undefined && fresh.length > 0) {
          // Text already sent cannot be taken back: a match reaching into it ends the stream instead.
          const reachesBack = fresh.some((f) => f.span !== undefined && from + f.span.start < this.sent);
          if (reachesBack) return { emit: '', blocked: fresh[0]! };
          this.text = this.text.slice(0, from) + v.redaction.text;
          this.scanned = this.text.length;
        }
      }
    }
    const safe = final ? this.text.length : this.text.length - heldTail(this.text.slice(this.sent));
    const emit = this.text.slice(this.sent, safe);
    this.sent = safe;
    return { emit: this.guards.restore ? restoreRedacted(emit, this.input.restore) : emit };
  }
}

/** How many trailing characters of unsent text could still be the start of a secret, an address or a number. */
export function heldTail(unsent: string): number {
  const word = /[^\s]*$/.exec(unsent)![0];
  let hold = 0;
  if (word.length > 0 && (/[\d@_\-+=/:.[\]]/.test(word) || word.length >= 12)) hold = word.length;
  const digits = /[+(]?\d[\d\s().-]*$/.exec(unsent);
  if (digits !== null && /\d.*\d/.test(digits[0])) hold = Math.max(hold, digits[0].length);
  return Math.min(hold, MAX_HOLD, unsent.length);
}

/** Texts that take the guards through their usual paths: prose of a few lengths, an address, a number, a URL. */
const WARM_TEXTS = [
  'Write one sentence about the sea.',
  'Please summarise the attached meeting notes and send them to the team by Friday. The budget figure was 12,400 and the next review is on 3 March; questions go to ops@example.com or https://intranet.example.com/help.',
  'The harbour town wakes slowly in the grey light of early morning. '.repeat(16),
];

/**
 * Runs the configured guards over sample texts, as the gateway will (input, whole output, streamed output), before it
 * takes traffic: V8 compiles what runs often, and a cold guard pipeline made a fresh gateway's first guarded
 * requests several times slower than the later ones. Nothing is recorded; returns the rounds run.
 */
export function warmGuards(guards: GatewayGuards, budgetMs = 300, maxRounds = 200): number {
  if (guards.input.length === 0 && guards.output.length === 0) return 0;
  const until = performance.now() + budgetMs;
  let rounds = 0;
  while (rounds < maxRounds && performance.now() < until) {
    for (const text of WARM_TEXTS) {
      const input = guardInput('chat', { model: 'warm', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: text }] }, guards);
      guardOutputText(text, guards, input, []);
      const sg = new StreamGuard(guards, input, []);
      for (const word of text.split(/(?<= )/)) sg.push(word);
      sg.end();
    }
    rounds++;
  }
  return rounds;
}
