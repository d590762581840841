import { GuardError } from './errors.js';
import type { Guard } from './guard.js';
import { normalize, originalSpan, type Normalized } from './normalize/normalize.js';
import type { GuardFinding } from './verdict.js';

/** A topic the deployment refuses to discuss in output, named by keywords or phrases (matched on normalized text). */
export interface DenyTopic {
  name: string;
  keywords: readonly string[];
}

export interface ContentPolicyOptions {
  denyTopics?: readonly DenyTopic[];
  /** Run the phishing / credential-harvesting detector. Default true. */
  phishing?: boolean;
}

const URGENCY = /\b(?:urgent(?:ly)?|immediately|right away|as soon as possible|asap|within (?:24|48|12) hours|act now|final (?:notice|warning)|account (?:will be |has been )?(?:suspended|locked|disabled|closed|terminated)|unusual (?:sign-in )?activity|suspicious activity|expires? (?:today|soon)|last chance|failure to (?:comply|verify|respond))\b/g;
const CREDENTIAL = /\b(?:verify (?:your )?(?:account|identity|password|login)|confirm (?:your )?(?:account|identity|password|login|details|credentials)|(?:enter|provide|update|re-?enter|submit|send (?:us|me)) (?:your )?(?:password|passcode|login|credentials|pin|one-time (?:code|password)|otp|2fa code|security code|ssn|social security number|card (?:number|details)|bank (?:details|account)|cvv)|sign in to (?:restore|unlock|verify|avoid)|log ?in (?:here|now|below) to)\b/g;
const LINK = /\b(?:https?:\/\/[^\s<>"')]+|www\.[^\s<>"')]+|click (?:here|the link|below|this link)|follow (?:this|the) link)/g;
const RISKY_LINK = /https?:\/\/(?:\d{1,3}(?:\.\d{1,3}){3}|[^\s/]*xn--|(?:bit\.ly|tinyurl\.com|t\.co|goo\.gl|is\.gd|ow\.ly|cutt\.ly)\/)|https?:\/\/[^\s/]*@/;

/**
 * Scores generated text for phishing / credential harvesting: a credential request is required (0.4); urgency (0.2)
 * and a link (0.25; 0.15 more when the link hides its host: an IP literal, punycode, a shortener, userinfo) raise
 * it. With the default threshold 0.7, a credential request needs a link to be flagged: text that only talks about
 * phishing ("never verify your account urgently") stays below it.
 */
export function phishingScore(text: string, normalized?: Normalized): { score: number; cues: string[] } {
  const n = (normalized ?? normalize(text)).text;
  const cues: string[] = [];
  const cred = n.match(CREDENTIAL);
  if (cred === null) return { score: 0, cues };
  cues.push(`credential request ("${cred[0]}")`);
  let score = 0.4;
  const urg = n.match(URGENCY);
  if (urg !== null) {
    cues.push(`urgency ("${urg[0]}")`);
    score += 0.2;
  }
  const link = n.match(LINK);
  if (link !== null) {
    cues.push('link');
    score += 0.25;
  }
  if (RISKY_LINK.test(text)) {
    cues.push('link that hides its host');
    score += 0.15;
  }
  return { score: Math.min(1, Number(score.toFixed(2))), cues };
}

function topicPattern(t: DenyTopic): RegExp {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(t.name)) throw new GuardError('GUARD_PATTERN_INVALID', `deny topic name '${t.name}' must be lower-case letters, digits and dashes`);
  if (t.keywords.length === 0 || t.keywords.length > 200) throw new GuardError('GUARD_PATTERN_INVALID', `deny topic '${t.name}' needs 1 to 200 keywords`);
  const words = t.keywords.map((k) => normalize(k).text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join('|')})(?![\\p{L}\\p{N}])`, 'gu');
}

/** Deny-topic matches and the phishing score of one text. */
export function checkContent(
  text: string,
  opts: ContentPolicyOptions = {},
  compiled = (opts.denyTopics ?? []).map((t) => ({ name: t.name, re: topicPattern(t) })),
  normalized?: Normalized,
): GuardFinding[] {
  const out: GuardFinding[] = [];
  const n = normalized ?? normalize(text);
  if (compiled.length > 0) {
    for (const t of compiled) {
      const m = t.re.exec(n.text);
      t.re.lastIndex = 0;
      if (m !== null) out.push({ guard: 'content-policy', rule: 'content-deny-topic', severity: 'medium', score: 1, span: originalSpan(n, m.index, m.index + m[0].length), message: `denied topic '${t.name}' ("${m[0]}")` });
    }
  }
  if (opts.phishing !== false) {
    const p = phishingScore(text, n);
    if (p.score > 0) out.push({ guard: 'content-policy', rule: 'content-phishing', severity: 'high', score: p.score, message: `phishing / credential-harvesting text: ${p.cues.join(', ')}` });
  }
  return out;
}

/** The `content-policy` guard for model output: deny topics and phishing. Flags by default (threshold 0.7). */
export function contentPolicyGuard(opts: ContentPolicyOptions = {}): Guard {
  const compiled = (opts.denyTopics ?? []).map((t) => ({ name: t.name, re: topicPattern(t) }));
  return {
    name: 'content-policy',
    description: 'deny topics and generated phishing / credential-harvesting text',
    defaults: { action: 'flag', threshold: 0.7, flagBelow: 0, onError: 'allow', redact: 'placeholder' },
    check: (text, ctx) => checkContent(text, opts, compiled, ctx.normalized?.()),
  };
}
