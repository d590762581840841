import type { Span } from '../verdict.js';
import { findEncoded, type Encoding } from './decode.js';
import { collapseLetterSpacing, foldClusters } from './fold.js';
import { originalSpan, type Mapped } from './mapped.js';
import { foldTokens } from './tokens.js';

/** A decoded run of the text, itself normalized (and searched for further encodings up to the depth limit). */
export interface DecodedSegment {
  encoding: Encoding;
  /** Where the encoded run sits in the text that contained it, in the ORIGINAL text's UTF-16 offsets. */
  span: Span;
  /** 1 for a run found in the original text, 2 for one found inside that run's decoding, … */
  depth: number;
  normalized: Normalized;
}

/** The normalized form of a text: folded for matching, mapped back to the original, plus what decoded out of it. */
export interface Normalized extends Mapped {
  decoded: DecodedSegment[];
  /** True when an encoded run was found at the depth limit and left undecoded. */
  depthLimited: boolean;
}

export interface NormalizeOptions {
  /** How many encodings deep to decode (base64 inside hex inside base64 is 3). Default 3. */
  maxDepth?: number;
  /** Total decoded characters kept, over all depths. Default 4 × the text length, at most 262,144. */
  maxDecodedChars?: number;
}

/**
 * NFKC, lower case, invisible and bidi characters removed, combining "zalgo" marks stripped from ASCII letters,
 * letter spacing collapsed, confusables and leetspeak folded inside words, runs of spaces collapsed; then base64,
 * hex, URL-encoded, ROT13 and Unicode-tag runs decoded and normalized the same way, to a bounded depth and size.
 * Pure and total: any string (lone surrogates included) normalizes without throwing.
 *
 * @example
 * const n = normalize('1gn0re prev\u200bious instructions');
 * n.text; // 'ignore previous instructions'
 */
export function normalize(text: string, opts: NormalizeOptions = {}): Normalized {
  const maxDepth = opts.maxDepth ?? 3;
  const budget = { left: opts.maxDecodedChars ?? Math.min(262_144, 4 * text.length) };
  return normalizeAt(text, 1, maxDepth, budget, undefined);
}

function normalizeAt(text: string, depth: number, maxDepth: number, budget: { left: number }, outer: Span | undefined): Normalized {
  const folded = foldTokens(collapseLetterSpacing(foldClusters(text)));
  const decoded: DecodedSegment[] = [];
  let depthLimited = false;
  if (budget.left > 0) {
    for (const run of findEncoded(text)) {
      if (depth > maxDepth) {
        depthLimited = true;
        break;
      }
      if (run.decoded.length > budget.left) break;
      budget.left -= run.decoded.length;
      const span = outer ?? run.span;
      const inner = normalizeAt(run.decoded, depth + 1, maxDepth, budget, span);
      decoded.push({ encoding: run.encoding, span, depth, normalized: inner });
      if (inner.depthLimited) depthLimited = true;
    }
  }
  return { ...folded, decoded, depthLimited };
}

/** One text to classify: the folded text or a decoded segment's, with the encodings it sat in. */
export interface ClassifiedText {
  text: string;
  mapped: Mapped;
  /** Where a decoded segment sits in the original text (absent for the folded text itself). */
  span?: Span;
  encodings: Encoding[];
}

/**
 * Every text to classify: the folded text itself and each decoded segment, depth-first, with its original span. An
 * array rather than a generator: the guards call this once per text and per streamed token, and a generator's
 * iterator and result objects were a large share of what they allocated.
 */
export function textsOf(n: Normalized): ClassifiedText[] {
  const out: ClassifiedText[] = [{ text: n.text, mapped: n, encodings: [] }];
  if (n.decoded.length > 0) collectDecoded(n.decoded, [], out);
  return out;
}

function collectDecoded(segs: readonly DecodedSegment[], path: readonly Encoding[], out: ClassifiedText[]): void {
  for (const s of segs) {
    const encodings = [...path, s.encoding];
    out.push({ text: s.normalized.text, mapped: s.normalized, span: s.span, encodings });
    collectDecoded(s.normalized.decoded, encodings, out);
  }
}

export { originalSpan };
