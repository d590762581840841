/**
 * Traffic anomalies per API key and per model, against each one's own history:
 *
 * - `volume_spike`: this minute's requests are far above the learned per-minute baseline (an exponentially
 *   weighted mean over the minutes seen so far; nothing fires before `warmupMinutes` of history).
 * - `guard_block_burst`: many of this minute's requests were blocked by guards (probing for a way past them).
 * - `extraction_sweep`: many near-identical prompts in the window that differ in a word or number: one input swept
 *   over many values, or systematic enumeration (model extraction, data harvesting). Prompts are compared by MinHash
 *   signatures of their word pairs (an estimate of Jaccard similarity); exact repeats (retries) do not count.
 *
 * The detector only observes and reports; the server applies the policy (alert, throttle or suspend).
 */
import { minhash } from '../core/minhash.js';

export interface AnomalySettings {
  warmupMinutes: number;
  spikeFactor: number;
  minSpikeRequests: number;
  minBlocks: number;
  minBlockShare: number;
  sweepWindowSeconds: number;
  sweepPrompts: number;
  /** Estimated Jaccard similarity of word pairs at or above which two prompts count as near-identical. */
  sweepSimilarity: number;
}

export type AnomalyKind = 'volume_spike' | 'guard_block_burst' | 'extraction_sweep';

export interface Anomaly {
  kind: AnomalyKind;
  /** `apikey:<id>` or `model:<name>`. */
  subject: string;
  detail: string;
}

interface Series {
  minute: number;
  count: number;
  blocked: number;
  mean: number;
  minutes: number;
  /** Kinds already reported this minute (one alert per kind per minute). */
  reported: Set<AnomalyKind>;
}

/** Prompts compared against: the most recent this many of a key's, within the sweep window. */
const MAX_PROMPTS = 256;

/**
 * A key's recent prompts as a ring, oldest overwritten first: their times, their exact-repeat strings and their
 * signatures in one flat array (SIG values each), so the comparison of a new prompt with all of them reads one
 * block of memory instead of a typed array and an object per prompt. It starts small and doubles up to MAX_PROMPTS
 * (a key that sends few prompts keeps a small ring).
 */
interface PromptRing {
  at: Float64Array;
  exact: (string | undefined)[];
  sigs: Uint32Array;
  /** The slot the next prompt goes to. */
  next: number;
  size: number;
}

const newRing = (capacity: number): PromptRing => ({ at: new Float64Array(capacity), exact: new Array<string | undefined>(capacity).fill(undefined), sigs: new Uint32Array(capacity * SIG), next: 0, size: 0 });

/** The same prompts, oldest first, in a ring of twice the capacity. */
function grown(r: PromptRing): PromptRing {
  const cap = r.at.length;
  const g = newRing(Math.min(2 * cap, MAX_PROMPTS));
  for (let k = 0; k < r.size; k++) {
    const from = (r.next - r.size + k + cap) % cap;
    g.at[k] = r.at[from]!;
    g.exact[k] = r.exact[from];
    g.sigs.set(r.sigs.subarray(from * SIG, (from + 1) * SIG), k * SIG);
  }
  g.next = r.size;
  g.size = r.size;
  return g;
}

export class AnomalyDetector {
  private series = new Map<string, Series>();
  private readonly prompts: PromptWindow;

  constructor(private readonly s: AnomalySettings) {
    this.prompts = new PromptWindow(s.sweepWindowSeconds, s.sweepSimilarity);
  }

  /** Records one request and returns the anomalies it completes (each reported once per minute). */
  observe(keyId: string, model: string, o: { at: number; blocked: boolean; prompt: string }): Anomaly[] {
    const out: Anomaly[] = [];
    for (const subject of [`apikey:${keyId}`, `model:${model}`]) {
      const s = this.tick(subject, o.at);
      s.count++;
      if (o.blocked) s.blocked++;
      const report = (kind: AnomalyKind, detail: string): void => {
        if (s.reported.has(kind)) return;
        s.reported.add(kind);
        out.push({ kind, subject, detail });
      };
      if (s.minutes >= this.s.warmupMinutes && s.count >= this.s.minSpikeRequests && s.count > this.s.spikeFactor * Math.max(1, s.mean)) {
        report('volume_spike', `${s.count} requests this minute against a baseline of ${s.mean.toFixed(1)} per minute`);
      }
      if (s.blocked >= this.s.minBlocks && s.blocked / s.count >= this.s.minBlockShare) {
        report('guard_block_burst', `${s.blocked} of ${s.count} requests this minute were blocked by guards`);
      }
      if (subject.startsWith('apikey:')) {
        const near = this.prompts.observe(subject, o.at, o.prompt);
        if (near >= this.s.sweepPrompts) report('extraction_sweep', `${near} near-identical prompts in ${this.s.sweepWindowSeconds} s that differ in a few words: one input swept over many values`);
      }
    }
    return out;
  }

  /** Rolls a series forward to the minute of `at`, folding finished minutes (idle ones as zero) into the baseline. */
  private tick(subject: string, at: number): Series {
    const minute = Math.floor(at / 60_000);
    let s = this.series.get(subject);
    if (s === undefined) {
      s = { minute, count: 0, blocked: 0, mean: 0, minutes: 0, reported: new Set() };
      this.series.set(subject, s);
    }
    if (minute > s.minute) {
      const gap = Math.min(minute - s.minute, 60);
      // Weight 0.1 per minute: the baseline follows a sustained change within about half an hour.
      s.mean = s.minutes === 0 ? s.count : 0.9 * s.mean + 0.1 * s.count;
      for (let i = 1; i < gap; i++) s.mean *= 0.9;
      s.minutes += minute - s.minute;
      s.minute = minute;
      s.count = 0;
      s.blocked = 0;
      s.reported = new Set();
    }
    return s;
  }
}

/**
 * Near-identical prompts per subject within a time window: how many of a subject's recent prompts (the last
 * MAX_PROMPTS within `windowSeconds`) have an estimated similarity of at least `similarity` to a new one, counting the
 * new one itself and leaving out exact repeats of it.
 */
export class PromptWindow {
  private prompts = new Map<string, PromptRing>();

  constructor(
    private readonly windowSeconds: number,
    private readonly similarity: number,
  ) {}

  /** Adds a subject's prompt at time `at` (ms) and returns the near-identical count it makes. */
  observe(subject: string, at: number, prompt: string): number {
    let exact = prompt.length > 256 ? `${prompt.length}:${prompt.slice(0, 128)}${prompt.slice(-128)}` : prompt;
    const from = at - this.windowSeconds * 1000;
    let ring = this.prompts.get(subject);
    if (ring === undefined) this.prompts.set(subject, (ring = newRing(8)));
    const cap = ring.at.length;
    // A repeat of the last prompt (retries, a client's fixed prompt) reuses its string, so the exact-repeat
    // comparisons below compare one reference instead of the characters, and, when the string is the whole prompt
    // (not a long prompt's length, head and tail), its signature.
    const lastSlot = (ring.next - 1 + cap) % cap;
    const repeat = ring.size > 0 && ring.exact[lastSlot] === exact;
    if (repeat) exact = ring.exact[lastSlot]!;
    const sig = repeat && prompt.length <= 256 ? ring.sigs.subarray(lastSlot * SIG, (lastSlot + 1) * SIG) : minhash(prompt, SIG);
    const need = Math.ceil(this.similarity * SIG);
    let near = 1;
    const { at: times, exact: exacts, sigs, size } = ring;
    for (let slot = 0; slot < size; slot++) {
      // Prompts older than the window, and exact repeats of this one, do not count.
      if (times[slot]! < from || exacts[slot] === exact) continue;
      // Stops as soon as the count is decided: most pairs of unrelated prompts differ in enough places within ten.
      let same = 0;
      let differ = 0;
      for (let i = 0, base = slot * SIG; i < SIG && same < need && differ <= SIG - need; i++) {
        if (sigs[base + i] === sig[i]) same++;
        else differ++;
      }
      if (same >= need) near++;
    }
    if (ring.size === cap && cap < MAX_PROMPTS) this.prompts.set(subject, (ring = grown(ring)));
    const slot = ring.next;
    // A repeat's signature is a view of the last slot (of the ring before it grew, if it just did): copied in.
    ring.sigs.set(sig, slot * SIG);
    ring.at[slot] = at;
    ring.exact[slot] = exact;
    ring.next = (slot + 1) % ring.at.length;
    ring.size = Math.min(ring.size + 1, ring.at.length);
    return near;
  }
}

/** Signature length: 16 minima estimate a Jaccard similarity to within about ±0.12. */
const SIG = 16;
