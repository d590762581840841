import { detectSecrets, entropy, isPlaceholder } from '../guard/index.js';

/** A hard-coded AI key found in text: where it is, whose it is, and its masked form (the value never leaves here). */
export interface KeyHit {
  start: number;
  end: number;
  provider: string;
  masked: string;
}

/**
 * The secrets guard's provider-format rules that belong to AI services, by rule id. The guard's other rules (AWS,
 * GitHub, Slack, Stripe, JWTs, private keys) are secrets but not AI keys, so discovery leaves them to the guard.
 */
const GUARD_RULE_PROVIDER: Readonly<Record<string, string>> = {
  'secret-openai-key': 'openai',
  'secret-anthropic-key': 'anthropic',
  'secret-huggingface-token': 'huggingface',
  'secret-google-api-key': 'google',
  'secret-groq-key': 'groq',
  'secret-replicate-token': 'replicate',
  'secret-openrouter-key': 'openrouter',
  'secret-xai-key': 'xai',
  'secret-perplexity-key': 'perplexity',
  'secret-langsmith-key': 'langsmith',
  'secret-pinecone-key': 'pinecone',
};

/**
 * Keys with no distinctive prefix, found only next to a keyword naming the provider (gitleaks' cohere rule and
 * trufflehog's deepseek and azure_openai detectors, in spirit; trufflehog has no Mistral, Cohere or Together rule).
 * They live here, not in the guard: the guard checks prompts, where a keyword 40 characters away is no evidence,
 * while in source and config the variable name is. Group 1 is the key; every gap is bounded.
 */
const KEYWORD_RULES: readonly { provider: string; pattern: RegExp; token: RegExp }[] = [
  { provider: 'deepseek', pattern: /deepseek[^\n]{0,40}?(?<![A-Za-z0-9_-])(sk-[a-z0-9]{32})(?![A-Za-z0-9_-])/gi, token: /^sk-[a-z0-9]{32}$/ },
  { provider: 'cohere', pattern: /(?:cohere|co_api_key)[^\n]{0,40}?(?<![A-Za-z0-9])([A-Za-z0-9]{40})(?![A-Za-z0-9])/gi, token: /^[A-Za-z0-9]{40}$/ },
  { provider: 'mistral', pattern: /mistral[^\n]{0,40}?(?<![A-Za-z0-9])([A-Za-z0-9]{32})(?![A-Za-z0-9])/gi, token: /^[A-Za-z0-9]{32}$/ },
  { provider: 'together', pattern: /together[^\n]{0,40}?(?<![A-Za-z0-9])([a-f0-9]{64})(?![A-Za-z0-9])/gi, token: /^[a-f0-9]{64}$/ },
  { provider: 'azure-openai', pattern: /azure[_.-]?openai[^\n]{0,40}?(?<![A-Za-z0-9])([a-f0-9]{32})(?![A-Za-z0-9])/gi, token: /^[a-f0-9]{32}$/ },
];

/** What a masked key keeps: its provider prefix, never any of the random part. */
const VISIBLE_PREFIX = /^(?:sk-(?:proj|svcacct|admin|service|ant-api03|ant-admin01|or-v1)-|sk-|hf_|api_org_|AIza|gsk_|r8_|xai-|pplx-|lsv2_(?:pt|sk)_|pcsk_)/;

/** `sk-ant-api03-…(108 chars)`: the provider prefix and the length, nothing of the secret part. */
export function maskKey(value: string): string {
  const prefix = VISIBLE_PREFIX.exec(value)?.[0] ?? '';
  return `${prefix}…(${value.length} chars, masked)`;
}

/** Hard-coded AI keys in text, in order, without overlaps. Linear in the text: every pattern is bounded. */
export function findKeys(text: string): KeyHit[] {
  const hits: KeyHit[] = [];
  for (const f of detectSecrets(text, { generic: false })) {
    const provider = GUARD_RULE_PROVIDER[f.rule];
    if (provider === undefined || f.span === undefined) continue;
    hits.push({ start: f.span.start, end: f.span.end, provider, masked: maskKey(text.slice(f.span.start, f.span.end)) });
  }
  for (const rule of KEYWORD_RULES) {
    for (const m of text.matchAll(rule.pattern)) {
      const token = m[1]!;
      // The keyword matched case-insensitively; the key's own alphabet is case-sensitive.
      if (!rule.token.test(token) || isPlaceholder(token) || entropy(token) < 3) continue;
      const start = m.index + m[0].length - token.length;
      if (hits.some((h) => start < h.end && start + token.length > h.start)) continue;
      hits.push({ start, end: start + token.length, provider: rule.provider, masked: maskKey(token) });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
}

/** `text` with every AI key and every other secret the guard knows replaced by its masked form: for evidence. */
export function maskSecrets(text: string): string {
  const spans = [
    ...findKeys(text).map((h) => ({ start: h.start, end: h.end })),
    ...detectSecrets(text).flatMap((f) => (f.span === undefined ? [] : [f.span])),
  ].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    out += text.slice(at, s.start) + maskKey(text.slice(s.start, s.end));
    at = s.end;
  }
  return out + text.slice(at);
}
