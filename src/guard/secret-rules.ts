import type { Severity } from '../core/finding.js';

/**
 * Secret formats. Provider key shapes are facts from gitleaks (config/gitleaks.toml) and trufflehog
 * (pkg/detectors/*), as listed in the project's research notes; RE2 inline modifiers are expanded for JavaScript.
 * `body` picks the random part that must not look like a placeholder (sk-XXXX…, …EXAMPLE).
 */
export interface SecretRule {
  id: string;
  name: string;
  severity: Severity;
  pattern: RegExp;
}

const END = String.raw`(?![A-Za-z0-9_-])`;
const r = (src: string, flags = 'g'): RegExp => new RegExp(src, flags);

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'secret-openai-key',
    name: 'OpenAI API key',
    severity: 'critical',
    pattern: r(String.raw`\bsk-(?:(?:proj|svcacct|admin|service)-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,})${END}`),
  },
  { id: 'secret-anthropic-key', name: 'Anthropic API key', severity: 'critical', pattern: r(String.raw`\bsk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA${END}`) },
  { id: 'secret-huggingface-token', name: 'Hugging Face token', severity: 'critical', pattern: r(String.raw`\b(?:hf_|api_org_)[A-Za-z0-9]{34}${END}`) },
  { id: 'secret-google-api-key', name: 'Google API key', severity: 'critical', pattern: r(String.raw`\bAIza[\w-]{35}${END}`) },
  { id: 'secret-aws-access-key', name: 'AWS access key id', severity: 'critical', pattern: r(String.raw`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`) },
  { id: 'secret-github-token', name: 'GitHub token', severity: 'critical', pattern: r(String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${END}`) },
  { id: 'secret-slack-token', name: 'Slack token', severity: 'critical', pattern: r(String.raw`\bxox[baprse]-[0-9]{10,13}-[0-9A-Za-z-]{10,}${END}`) },
  { id: 'secret-slack-webhook', name: 'Slack webhook URL', severity: 'high', pattern: r(String.raw`https://hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,}`) },
  { id: 'secret-stripe-key', name: 'Stripe secret key', severity: 'critical', pattern: r(String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,}${END}`) },
  { id: 'secret-groq-key', name: 'Groq API key', severity: 'critical', pattern: r(String.raw`\bgsk_[A-Za-z0-9]{52}${END}`) },
  { id: 'secret-replicate-token', name: 'Replicate token', severity: 'critical', pattern: r(String.raw`\br8_[0-9A-Za-z_-]{37}${END}`) },
  { id: 'secret-openrouter-key', name: 'OpenRouter key', severity: 'critical', pattern: r(String.raw`\bsk-or-v1-[0-9a-f]{64}${END}`) },
  { id: 'secret-xai-key', name: 'xAI key', severity: 'critical', pattern: r(String.raw`\bxai-[0-9A-Za-z_]{80}${END}`) },
  { id: 'secret-perplexity-key', name: 'Perplexity key', severity: 'critical', pattern: r(String.raw`\bpplx-[A-Za-z0-9]{48}${END}`) },
  { id: 'secret-langsmith-key', name: 'LangSmith key', severity: 'high', pattern: r(String.raw`\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}${END}`) },
  { id: 'secret-pinecone-key', name: 'Pinecone key', severity: 'high', pattern: r(String.raw`\bpcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}${END}`) },
  { id: 'secret-azure-client-secret', name: 'Azure AD client secret', severity: 'high', pattern: r(String.raw`(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])`) },
  {
    id: 'secret-private-key',
    name: 'private key',
    severity: 'critical',
    pattern: r(String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]{16,8192}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`),
  },
  { id: 'secret-jwt', name: 'JSON Web Token', severity: 'high', pattern: r(String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}${END}`) },
];

/** A keyword that names a secret, then up to 40 characters, then a long token: gitleaks' generic rule, in spirit. */
export const GENERIC_SECRET = /(?:api[_.-]?key|secret|token|passw(?:or)?d|pwd|auth|credential|bearer|access[_.-]?key)[^\n]{0,40}?(?<![A-Za-z0-9+/_.~-])([A-Za-z0-9+/_.~-][A-Za-z0-9+/_=.~-]{19,199})(?![A-Za-z0-9+/_=.~-])/gi;
