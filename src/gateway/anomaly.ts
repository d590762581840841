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
const MAX_SIGNATURE_CHARS = 4096;

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
    const sig = repeat && prompt.length <= 256 ? last.sig : minhash(prompt);
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
const SEEDS = Uint32Array.from({ length: SIG }, (_, i) => Math.imul(i + 1, 0x9e3779b9) >>> 0);

/** MinHash signature of a text's lowercase word pairs (a one-word text is its word). */
export function minhash(text: string): Uint32Array {
  const sig = new Uint32Array(SIG).fill(0xffffffff);
  const add = (h: number): void => {
    for (let i = 0; i < SIG; i++) {
      // A cheap per-seed permutation of the feature hash (xorshift-multiply mix).
      let x = (h ^ SEEDS[i]!) >>> 0;
      x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
      x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
      x = (x ^ (x >>> 16)) >>> 0;
      if (x < sig[i]!) sig[i] = x;
    }
  };
  // Words are hashed as they are scanned (FNV-1a over lowercased code units); a pair is the two hashes mixed.
  const end = Math.min(text.length, MAX_SIGNATURE_CHARS);
  let prev = -1;
  let words = 0;
  let h = 0x811c9dc5;
  let inWord = false;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 32;
    const word = (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c > 127 && c !== 0xa0 && !(c >= 0x2000 && c <= 0x206f) && c !== 0x3000);
    if (word) {
      h = Math.imul(h ^ (c >= 65 && c <= 90 ? c + 32 : c), 0x01000193) >>> 0;
      inWord = true;
    } else if (inWord) {
      if (prev >= 0) add((Math.imul(prev, 0x9e3779b1) ^ h) >>> 0);
      prev = h;
      words++;
      h = 0x811c9dc5;
      inWord = false;
    }
  }
  if (words === 1) add(prev);
  return sig;
}
