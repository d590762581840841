import { createHash } from 'node:crypto';
import type { Redaction, Span } from './verdict.js';

export type RedactMode = 'mask' | 'hash' | 'placeholder';

export interface RedactItem {
  span: Span;
  /** A short upper-case kind for placeholders and hashes: EMAIL, CARD, SECRET… */
  kind: string;
}

/**
 * Replaces each span: `mask` with asterisks of the same length, `hash` with `[KIND:<first 12 hex of SHA-256>]`
 * (salted, so equal values stay linkable within one deployment without being guessable across them), `placeholder`
 * with `[KIND_n]` and a restore map. Overlapping spans are merged into the first; equal values share one placeholder.
 */
export function redactSpans(text: string, items: readonly RedactItem[], mode: RedactMode, salt = ''): Redaction {
  const sorted = [...items].sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  const restore: Record<string, string> = {};
  const byValue = new Map<string, string>();
  const counts = new Map<string, number>();
  let out = '';
  let at = 0;
  for (const { span, kind } of sorted) {
    if (span.start < at) continue;
    const value = text.slice(span.start, span.end);
    out += text.slice(at, span.start);
    if (mode === 'mask') out += '*'.repeat(value.length);
    else if (mode === 'hash') out += `[${kind}:${createHash('sha256').update(salt).update('\0').update(value).digest('hex').slice(0, 12)}]`;
    else {
      let ph = byValue.get(`${kind}\0${value}`);
      if (ph === undefined) {
        const n = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, n);
        ph = `[${kind}_${n}]`;
        byValue.set(`${kind}\0${value}`, ph);
        restore[ph] = value;
      }
      out += ph;
    }
    at = span.end;
  }
  return { text: out + text.slice(at), restore };
}

/**
 * Puts placeholders back (redact-then-restore): the model answered about `[EMAIL_1]`, the caller gets the address.
 * Only placeholders in the map are replaced; anything else that looks like one is left as it is.
 */
export function restoreRedacted(text: string, restore: Readonly<Record<string, string>>): string {
  return text.replace(/\[[A-Z][A-Z0-9]*_\d+\]/g, (ph) => (Object.hasOwn(restore, ph) ? restore[ph]! : ph));
}
