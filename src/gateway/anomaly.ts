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

interface Shingled {
  at: number;
  sig: Uint32Array;
  exact: string;
}

const MAX_PROMPTS = 256;

export class AnomalyDetector {
  private series = new Map<string, Series>();
  private prompts = new Map<string, Shingled[]>();

  constructor(private readonly s: AnomalySettings) {}

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
        const near = this.nearDuplicates(subject, o.at, o.prompt);
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

  private nearDuplicates(subject: string, at: number, prompt: string): number {
    let exact = prompt.length > 256 ? `${prompt.length}:${prompt.slice(0, 128)}${prompt.slice(-128)}` : prompt;
    const from = at - this.s.sweepWindowSeconds * 1000;
    let list = this.prompts.get(subject) ?? [];
    // A repeat of the last prompt (retries, a client's fixed prompt) reuses its string, so the exact-repeat
    // comparisons below compare one reference instead of the characters, and, when the string is the whole prompt
    // (not a long prompt's length, head and tail), its signature.
    const last = list[list.length - 1];
    const repeat = last !== undefined && last.exact === exact;
    if (repeat) exact = last.exact;
    const sig = repeat && prompt.length <= 256 ? last.sig : minhash(prompt, SIG);
    let expired = 0;
    while (expired < list.length && list[expired]!.at < from) expired++;
    if (expired > 0) list = list.slice(expired);
    const need = Math.ceil(this.s.sweepSimilarity * SIG);
    let near = 1;
    for (let j = Math.max(0, list.length - MAX_PROMPTS); j < list.length; j++) {
      const p = list[j]!;
      if (p.exact === exact) continue;
      let same = 0;
      for (let i = 0; i < SIG; i++) if (p.sig[i] === sig[i]) same++;
      if (same >= need) near++;
    }
    list.push({ at, sig, exact });
    if (list.length > 2 * MAX_PROMPTS) list = list.slice(-MAX_PROMPTS);
    this.prompts.set(subject, list);
    return near;
  }
}

/** Signature length: 16 minima estimate a Jaccard similarity to within about ±0.12. */
const SIG = 16;
