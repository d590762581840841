import { blockFeatures, blockWindows } from './features.js';

export const LABELS = ['benign', 'injection', 'jailbreak'] as const;
export type InjectionLabel = (typeof LABELS)[number];

/**
 * One multinomial logistic regression over hashed n-grams (the part `scoreText` needs). `weights[bucket * 3 + label]
 * × scale` is a weight (int8: the 768 KiB table stays in cache, and sums of small integers are exact). Texts are
 * cut into blocks of `block` characters and read in overlapping windows of `scales[i]` blocks, one starting at every
 * block: small windows find an instruction planted in a long document before the text around it dilutes it, large
 * ones see the context of longer attacks.
 */
export interface LinearModel {
  bits: number;
  weights: Int8Array;
  scale: number;
  bias: Float64Array;
  block: number;
  scales: number[];
}

/**
 * The shipped classifier: the document model (its fields at the top level, for documents, emails and tool output)
 * and, optionally, a prompt model used instead for texts whose normalized form is at most `prompt.maxChars`
 * characters (`classifyInjection`). Both score on one scale: each model's benign bias is shifted so that its own
 * threshold falls on `threshold` (`SHARED_THRESHOLD`, train.ts), so one threshold and one block level apply to
 * either. `threshold` applies to 1 − P(benign).
 */
export interface InjectionModel extends LinearModel {
  threshold: number;
  /** Free-form facts about how the model was made (data digest, options, validation figures). */
  meta: Record<string, unknown>;
  prompt?: { maxChars: number; model: LinearModel; meta: Record<string, unknown> };
}

/** The linear model that reads a text of `chars` normalized characters. */
export const modelFor = (model: InjectionModel, chars: number): LinearModel => (model.prompt !== undefined && chars <= model.prompt.maxChars ? model.prompt.model : model);

/** The most suspicious window of a text: its label probabilities and its character range. */
export interface WindowScore {
  probs: Float64Array;
  from: number;
  to: number;
}

/**
 * Scores every window of `text` and returns the one with the lowest P(benign). Per block, the weights of its
 * features are summed once; a window adds up its blocks, so the cost is linear in the text's length.
 */
export function scoreText(model: LinearModel, text: string): WindowScore {
  const { buckets, ends } = blockFeatures(text, model.bits, model.block);
  const blocks = ends.length;
  const z = new Float64Array(blocks * 3);
  const w = model.weights;
  let start = 0;
  for (let b = 0; b < blocks; b++) {
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    for (let f = start; f < ends[b]!; f++) {
      const k = buckets[f]! * 3;
      z0 += w[k]!;
      z1 += w[k + 1]!;
      z2 += w[k + 2]!;
    }
    z[b * 3] = z0;
    z[b * 3 + 1] = z1;
    z[b * 3 + 2] = z2;
    start = ends[b]!;
  }
  const best: WindowScore = { probs: new Float64Array([1, 0, 0]), from: 0, to: text.length };
  for (const [s, e] of blockWindows(blocks, model.scales)) {
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    for (let b = s; b < e; b++) {
      z0 += z[b * 3]!;
      z1 += z[b * 3 + 1]!;
      z2 += z[b * 3 + 2]!;
    }
    const n = ends[e - 1]! - (s === 0 ? 0 : ends[s - 1]!);
    const norm = n > 0 ? model.scale / Math.sqrt(n) : 0;
    z0 = z0 * norm + model.bias[0]!;
    z1 = z1 * norm + model.bias[1]!;
    z2 = z2 * norm + model.bias[2]!;
    const m = Math.max(z0, z1, z2);
    const e0 = Math.exp(z0 - m);
    const e1 = Math.exp(z1 - m);
    const e2 = Math.exp(z2 - m);
    const sum = e0 + e1 + e2;
    if (e0 / sum < best.probs[0]!) {
      best.probs[0] = e0 / sum;
      best.probs[1] = e1 / sum;
      best.probs[2] = e2 / sum;
      best.from = s * model.block;
      best.to = Math.min(text.length, e * model.block);
    }
  }
  return best;
}
