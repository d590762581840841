import { isIP } from 'node:net';

/**
 * The maintained table of hosted AI API hostnames, shared by code and egress discovery. Facts from the provider
 * folders of Portkey-AI/gateway and the verification endpoints of trufflehog detectors (see the project's research
 * notes, governance §5). Only API and chat-app hosts are listed: the same companies' other hosts (www, docs, status,
 * platform dashboards, S3, Maps, Blob storage) are not AI traffic and must not match.
 *
 * `exact` hosts match themselves only; `suffix` entries match the host or any subdomain of it (label boundary, so
 * `api.openai.com.evil.net` and `evil-openai.azure.com.example` never match); `pattern` entries are for regional
 * host families such as `bedrock-runtime.<region>.amazonaws.com`. `path` restricts a host that also serves non-AI
 * APIs to its AI paths (judged only when the path is known).
 */
interface HostRule {
  provider: string;
  exact?: readonly string[];
  suffix?: readonly string[];
  pattern?: RegExp;
  path?: RegExp;
}

const HOST_RULES: readonly HostRule[] = [
  { provider: 'openai', exact: ['api.openai.com', 'chatgpt.com', 'chat.openai.com'] },
  { provider: 'azure-openai', suffix: ['openai.azure.com', 'cognitiveservices.azure.com'], exact: ['models.inference.ai.azure.com'] },
  { provider: 'anthropic', exact: ['api.anthropic.com', 'claude.ai'] },
  { provider: 'google-gemini', exact: ['generativelanguage.googleapis.com', 'gemini.google.com'] },
  { provider: 'google-vertex', exact: ['aiplatform.googleapis.com'], pattern: /^[a-z0-9-]+-aiplatform\.googleapis\.com$/ },
  { provider: 'aws-bedrock', pattern: /^bedrock(?:-runtime|-agent-runtime|-agent)?(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com$/ },
  { provider: 'aws-sagemaker', pattern: /^runtime\.sagemaker\.[a-z0-9-]+\.amazonaws\.com$/ },
  { provider: 'mistral', exact: ['api.mistral.ai', 'codestral.mistral.ai', 'chat.mistral.ai'] },
  { provider: 'cohere', exact: ['api.cohere.ai', 'api.cohere.com'] },
  { provider: 'groq', exact: ['api.groq.com'] },
  { provider: 'xai', exact: ['api.x.ai'] },
  { provider: 'deepseek', exact: ['api.deepseek.com', 'chat.deepseek.com'] },
  { provider: 'perplexity', exact: ['api.perplexity.ai', 'perplexity.ai', 'www.perplexity.ai'] },
  { provider: 'together', exact: ['api.together.xyz', 'api.together.ai'] },
  { provider: 'fireworks', exact: ['api.fireworks.ai'] },
  { provider: 'openrouter', exact: ['openrouter.ai'] },
  { provider: 'replicate', exact: ['api.replicate.com'] },
  { provider: 'huggingface', exact: ['api-inference.huggingface.co', 'router.huggingface.co', 'huggingface.co', 'cdn-lfs.huggingface.co', 'hf.co'] },
  { provider: 'microsoft-copilot', exact: ['copilot.microsoft.com'] },
  { provider: 'poe', exact: ['poe.com'] },
  { provider: 'cerebras', exact: ['api.cerebras.ai'] },
  { provider: 'sambanova', exact: ['api.sambanova.ai'] },
  { provider: 'deepinfra', exact: ['api.deepinfra.com'] },
  { provider: 'voyage', exact: ['api.voyageai.com'] },
  { provider: 'jina', exact: ['api.jina.ai'] },
  { provider: 'ai21', exact: ['api.ai21.com'] },
  { provider: 'stability', exact: ['api.stability.ai'] },
  { provider: 'reka', exact: ['api.reka.ai'] },
  { provider: 'upstage', exact: ['api.upstage.ai'] },
  { provider: 'lepton', exact: ['api.lepton.ai'] },
  { provider: 'novita', exact: ['api.novita.ai'] },
  { provider: 'hyperbolic', exact: ['api.hyperbolic.xyz'] },
  { provider: 'lambda', exact: ['api.lambdalabs.com'] },
  { provider: 'nebius', exact: ['api.studio.nebius.ai'] },
  { provider: 'siliconflow', exact: ['api.siliconflow.cn'] },
  { provider: 'moonshot', exact: ['api.moonshot.cn'] },
  { provider: 'zhipu', exact: ['open.bigmodel.cn', 'api.z.ai'] },
  { provider: 'alibaba-dashscope', exact: ['dashscope.aliyuncs.com', 'dashscope-intl.aliyuncs.com'] },
  { provider: 'oracle-genai', pattern: /^inference\.generativeai\.[a-z0-9-]+\.oci\.oraclecloud\.com$/ },
  { provider: 'predibase', exact: ['serving.app.predibase.com'] },
  { provider: 'anyscale', exact: ['api.endpoints.anyscale.com'] },
  { provider: 'cloudflare-workers-ai', exact: ['api.cloudflare.com'], path: /^\/client\/v4\/accounts\/[^/]+\/ai\// },
  { provider: 'assemblyai', exact: ['api.assemblyai.com'] },
  { provider: 'deepgram', exact: ['api.deepgram.com'] },
  { provider: 'elevenlabs', exact: ['api.elevenlabs.io'] },
  { provider: 'clarifai', exact: ['api.clarifai.com'] },
];

/** Every provider name the table knows, plus `local` (self-hosted model servers): what approvals may name. */
export const PROVIDERS: ReadonlySet<string> = new Set([...HOST_RULES.map((r) => r.provider), 'local']);

const EXACT = new Map<string, HostRule>();
const SUFFIX: [string, HostRule][] = [];
for (const rule of HOST_RULES) {
  for (const h of rule.exact ?? []) EXACT.set(h, rule);
  for (const s of rule.suffix ?? []) SUFFIX.push([s, rule]);
}
const PATTERNS = HOST_RULES.filter((r) => r.pattern !== undefined);

/**
 * A cheap pre-filter for text: every AI hostname contains one of these registrable-domain fragments. Code discovery
 * looks for hostnames only around them, so ordinary files cost one scan with this expression.
 */
export const HOST_HINT = /(?:openai|anthropic|claude|googleapis|gemini|amazonaws|azure|mistral|cohere|groq|x\.ai|deepseek|perplexity|together|fireworks|openrouter|replicate|huggingface|hf\.co|copilot|poe\.com|cerebras|sambanova|deepinfra|voyageai|jina|ai21|stability|reka|upstage|lepton|novita|hyperbolic|lambdalabs|nebius|siliconflow|moonshot|bigmodel|z\.ai|aliyuncs|oraclecloud|predibase|anyscale|cloudflare|assemblyai|deepgram|elevenlabs|clarifai)/i;

/** Lower-cases, drops a trailing dot and brackets of an IPv6 literal. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

/**
 * The AI provider a hostname belongs to, or undefined. `path` (when known) is checked for hosts that also serve
 * non-AI APIs; with the path unknown (a CONNECT tunnel) such hosts are not counted as AI.
 */
export function providerOfHost(host: string, path?: string): string | undefined {
  const rule = ruleOf(normalizeHost(host));
  if (rule === undefined) return undefined;
  if (rule.path !== undefined && (path === undefined || !rule.path.test(path))) return undefined;
  return rule.provider;
}

function ruleOf(h: string): HostRule | undefined {
  return EXACT.get(h) ?? SUFFIX.find(([s]) => h.endsWith('.' + s))?.[1] ?? PATTERNS.find((r) => r.pattern!.test(h));
}

/** Whether a request's path can change what a host is: internal hosts (model servers) and hosts with AI-only paths. */
export function pathMatters(host: string): boolean {
  const h = normalizeHost(host);
  return ruleOf(h)?.path !== undefined || isInternalHost(h);
}

/** Default ports of self-hosted model servers (Ollama 11434, LM Studio 1234). vLLM's 8000 is too common to count alone. */
const LOCAL_PORTS: Readonly<Record<string, string>> = { '11434': 'ollama', '1234': 'lm-studio' };
/** Paths of OpenAI-compatible and Ollama APIs: a request to an internal host on one of these is a model server. */
export const MODEL_API_PATH = /^\/(?:v1\/(?:chat\/completions|completions|embeddings|messages|models)|api\/(?:generate|chat|embed|embeddings|tags|pull))(?:[/?]|$)/;
const LOCAL_NAME = /^(?:ollama|vllm|lmstudio|lm-studio|llama|llamacpp|llama-cpp|tgi|text-generation|localai|triton|llm)(?:[-.\d]|$)/;

/** Loopback, private, link-local and unique-local addresses, and names that cannot leave the network. */
export function isInternalHost(host: string): boolean {
  const h = normalizeHost(host);
  const family = isIP(h);
  if (family === 4) return /^(?:127\.|10\.|192\.168\.|169\.254\.|0\.0\.0\.0$)/.test(h) || /^172\.(?:1[6-9]|2\d|3[01])\./.test(h);
  if (family === 6) return h === '::1' || /^f[cd]/.test(h) || h.startsWith('fe80:');
  return h === 'localhost' || !h.includes('.') || /\.(?:local|internal|lan|localhost|svc|cluster\.local|home\.arpa|corp)$/.test(h);
}

/**
 * Whether host:port (and path, when known) is a self-hosted model server: an internal host on a model server's
 * default port, answering a model API path, or named after a model server. Returns the server kind, else undefined.
 */
export function localModelServer(host: string, port: string | undefined, path?: string): string | undefined {
  if (!isInternalHost(host)) return undefined;
  const byPort = port === undefined ? undefined : LOCAL_PORTS[port];
  if (byPort !== undefined) return byPort;
  const name = normalizeHost(host);
  if (LOCAL_NAME.test(name)) return name.startsWith('vllm') ? 'vllm' : name.startsWith('ollama') ? 'ollama' : 'local';
  if (path !== undefined && MODEL_API_PATH.test(path)) return 'local';
  return undefined;
}
