/**
 * The OpenAI wire shapes the gateway reads and writes: error bodies, the texts of a request (every user, system and
 * tool message, tool-call arguments too) and rough token estimates for reserving against limits.
 */

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'rate_limit_error' | 'server_error' | 'upstream_error';

export interface OpenAiError {
  error: { message: string; type: ErrorType; code: string; param?: string | null };
}

export function errorBody(type: ErrorType, code: string, message: string): OpenAiError {
  return { error: { message, type, code } };
}

export type Endpoint = 'chat' | 'completions' | 'embeddings';

/** A text of a request, where it sits, and how to replace it in the body (a redaction). */
export interface RequestText {
  where: string;
  text: string;
  /** The chat role the text belongs to (`user`, `tool`, `system`, …); `user` for completions and embeddings. */
  role: string;
  set(text: string): void;
}

/** Every text a request carries that a guard should see, with a name saying where it came from. */
export function requestTexts(endpoint: Endpoint, body: Record<string, unknown>): RequestText[] {
  const out: RequestText[] = [];
  const at = (where: string, holder: unknown, key: string | number, role = 'user'): void => {
    const h = holder as Record<string | number, unknown> | null;
    const v = h?.[key];
    if (typeof v === 'string') out.push({ where, text: v, role, set: (t) => void (h![key] = t) });
  };
  if (endpoint === 'chat') {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    messages.forEach((m: unknown, i) => {
      if (m === null || typeof m !== 'object') return;
      const msg = m as { role?: unknown; content?: unknown; tool_calls?: unknown; function_call?: unknown };
      const role = typeof msg.role === 'string' ? msg.role : 'message';
      if (typeof msg.content === 'string') at(`messages[${i}] (${role})`, msg, 'content', role);
      else if (Array.isArray(msg.content)) msg.content.forEach((p: unknown, j) => at(`messages[${i}].content[${j}] (${role})`, p, 'text', role));
      if (Array.isArray(msg.tool_calls)) msg.tool_calls.forEach((c: unknown, j) => at(`messages[${i}].tool_calls[${j}].arguments`, (c as { function?: unknown } | null)?.function, 'arguments', role));
      at(`messages[${i}].function_call.arguments`, msg.function_call, 'arguments', role);
    });
  } else {
    const key = endpoint === 'completions' ? 'prompt' : 'input';
    const v = body[key];
    if (typeof v === 'string') at(key, body, key);
    else if (Array.isArray(v)) v.forEach((_, i) => at(`${key}[${i}]`, v, i));
  }
  return out;
}

/** About four characters a token for English; a reservation only needs the right order of magnitude. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Prompt estimate plus the completion the request allows (`max_tokens`, else 256). */
export function reserveEstimate(endpoint: Endpoint, body: Record<string, unknown>, promptChars: number): number {
  if (endpoint === 'embeddings') return estimateTokens(promptChars);
  const max = body.max_completion_tokens ?? body.max_tokens;
  return estimateTokens(promptChars) + (typeof max === 'number' && Number.isFinite(max) && max > 0 ? Math.min(max, 1_000_000) : 256);
}

export interface Usage {
  prompt: number;
  completion: number;
}

export function usageOf(v: unknown): Usage | undefined {
  const u = (v as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (u === undefined || u === null) return undefined;
  const p = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const c = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return { prompt: p, completion: c };
}

/** The generated text of a non-streamed response (all choices), for output checks and the response digest. */
export function responseText(v: unknown): string {
  const choices = (v as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return '';
  if (choices.length === 1) return choiceText(choices[0], 'message');
  return choices.map((c) => choiceText(c, 'message')).join('\n');
}

/** The text a streamed chunk adds. */
export function deltaText(v: unknown): string {
  const choices = (v as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return '';
  // One choice is the usual case, and this runs once per streamed event: no array to build and join.
  if (choices.length === 1) return choiceText(choices[0], 'delta');
  return choices.map((c) => choiceText(c, 'delta')).join('');
}

/** One choice's text: `message.content` or `delta.content` (chat), else `text` (completions), else ''. */
function choiceText(c: unknown, holder: 'message' | 'delta'): string {
  const x = c as { message?: { content?: unknown }; delta?: { content?: unknown }; text?: unknown } | null;
  const content = x?.[holder]?.content;
  return typeof content === 'string' ? content : typeof x?.text === 'string' ? x.text : '';
}
