import { CONFUSABLES, LEET, LEET_INNER_ONLY } from './confusables.js';
import { MappedBuilder, type Mapped } from './mapped.js';
import { allMatches } from '../matches.js';

const isAsciiLetter = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
// What pass 3 may rewrite: a leet character or a confusable (inside some token), or spaces to collapse or trim.
const HOT = new RegExp(`[${[...LEET.keys()].join('')}${[...CONFUSABLES.keys()].join('')}]| {2,}|^ | $`, 'g');

/**
 * Pass 3: collapses runs of spaces to one (and trims), then folds tokens. Confusables fold only in tokens that mix
 * them with ASCII letters (Russian or Greek prose is left alone, "іgnоrе" is not); leetspeak folds only in tokens with
 * at least two letters, and only where the digit or symbol touches a letter, so "$100", "2024" and "ipv6" keep their
 * digits while "h4ck" becomes "hack". Only tokens with such a character are looked at; the rest is copied in runs.
 */
export function foldTokens(m: Mapped): Mapped {
  const t = m.text;
  HOT.lastIndex = 0;
  if (!HOT.test(t)) return m;
  const b = new MappedBuilder(t.length);
  let copied = 0;
  for (const hit of allMatches(t, HOT)) {
    const at = hit.index;
    if (at < copied) continue;
    if (hit[0][0] === ' ') {
      b.pushMapped(m, copied, at);
      // Keep one space between words; none at the ends.
      if (at > 0 && at + hit[0].length < t.length) b.pushMapped(m, at, at + 1);
      copied = at + hit[0].length;
      continue;
    }
    let from = at;
    while (from > copied && t[from - 1] !== ' ') from--;
    let to = at + 1;
    while (to < t.length && t[to] !== ' ') to++;
    b.pushMapped(m, copied, from);
    foldToken(m, from, to, b);
    copied = to;
  }
  b.pushMapped(m, copied, t.length);
  return b.build();
}

function foldToken(m: Mapped, from: number, to: number, b: MappedBuilder): void {
  const t = m.text;
  let ascii = 0;
  let confusable = 0;
  let leet = 0;
  for (let k = from; k < to; k++) {
    const c = t[k]!;
    if (isAsciiLetter(c)) ascii++;
    else if (CONFUSABLES.has(c)) confusable++;
    else if (LEET.has(c)) leet++;
  }
  if ((confusable === 0 || ascii === 0) && (leet === 0 || ascii + confusable < 2)) {
    b.pushMapped(m, from, to);
    return;
  }
  const letterAt = (k: number): boolean => k >= from && k < to && (isAsciiLetter(t[k]) || (ascii > 0 && CONFUSABLES.has(t[k]!)));
  const leetAt = (k: number): boolean => k >= from && k < to && LEET.has(t[k]!);
  for (let k = from; k < to; k++) {
    const c = t[k]!;
    let out = c;
    if (ascii > 0 && CONFUSABLES.has(c)) out = CONFUSABLES.get(c)!;
    else if (LEET.has(c) && ascii + confusable >= 2) {
      const prev = letterAt(k - 1) || leetAt(k - 1);
      const next = letterAt(k + 1) || leetAt(k + 1);
      const touches = letterAt(k - 1) || letterAt(k + 1);
      const inner = prev && next && touches;
      const edge = touches && !LEET_INNER_ONLY.has(c) && (prev || next);
      if (inner || edge) out = LEET.get(c)!;
    }
    if (out === c) b.pushMapped(m, k, k + 1);
    else b.push(out, m.starts[k]!, m.ends[k]!);
  }
}
