import type { ScanContext } from '../context.js';
import { quoteName, type FindingBudget } from './finding-budget.js';
import { GgufStop, type HeaderCursor } from './gguf-reader.js';
import { DEFAULT_ALIGNMENT, fixedValueSize, GGUF_TYPE, isValueType, valueTypeName } from './gguf-types.js';

/** docs/gguf.md: keys "must be at most 2^16-1/65535 bytes long". */
const MAX_KEY_BYTES = 65535;
/** Chat templates are a few KB (the largest known are tens of KB); beyond this only a prefix is analysed. */
export const MAX_TEMPLATE_BYTES = 1 << 20;
/** Keys remembered for the duplicate check (real files have dozens), and the longest key remembered. */
const MAX_TRACKED_KEYS = 100_000;
const MAX_TRACKED_KEY_BYTES = 1024;
/** Array nesting followed before giving up; llama.cpp accepts none. */
const MAX_ARRAY_DEPTH = 64;

const ALIGNMENT_KEY = 'general.alignment';

/** Everything the metadata walk needs besides the cursor. */
export interface HeaderEnv {
  readonly out: FindingBudget;
  readonly ctx: ScanContext;
  /** The cursor may not pass this offset (the metadata size limit). */
  readonly limit: number;
  readonly onTemplate: (key: string, text: string, at: number, declaredBytes: number) => void;
}

/** `tokenizer.chat_template` and the named variants `tokenizer.chat_template.<name>` (tool_use, rag…). */
export function isChatTemplateKey(key: string): boolean {
  return key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.');
}

const utf8 = new TextDecoder('utf-8');

/**
 * Walks `count` key-value pairs, checking every length against the bytes left, and returns the alignment for the
 * tensor data. Values are skipped without being read, except the alignment and chat templates.
 */
export async function readMetadata(cur: HeaderCursor, count: number, env: HeaderEnv): Promise<number> {
  const { out } = env;
  const keys = new Set<string>();
  let alignment = DEFAULT_ALIGNMENT;
  for (let i = 0; i < count; i++) {
    checkLimit(cur, env);
    const keyAt = cur.pos;
    const { text: key, length: keyLen } = await readString(cur, MAX_KEY_BYTES, env, `key of metadata pair ${i}`);
    const label = quoteName(key);
    if (keyLen === 0) out.report('gguf-malformed-header', `metadata pair ${i} has an empty key`, { offset: keyAt });
    if (keyLen > MAX_KEY_BYTES) out.report('gguf-malformed-header', `metadata key ${label} is ${keyLen} bytes; keys may be at most ${MAX_KEY_BYTES}`, { offset: keyAt });
    if (keys.has(key)) {
      out.report('gguf-duplicate-name', `metadata key ${label} appears more than once; readers disagree on which value wins`, { offset: keyAt });
    } else if (keys.size < MAX_TRACKED_KEYS && keyLen <= MAX_TRACKED_KEY_BYTES) keys.add(key);

    const typeAt = cur.pos;
    const type = await cur.u32();
    if (key === ALIGNMENT_KEY) {
      alignment = await readAlignment(cur, type, typeAt, env) ?? alignment;
      continue;
    }
    if (type === GGUF_TYPE.STRING && isChatTemplateKey(key)) {
      await readTemplate(cur, key, env);
      continue;
    }
    if (isChatTemplateKey(key)) {
      out.report('gguf-malformed-header', `${label} is stored as ${valueTypeName(type)}, not a string; loaders expecting text will misread it`, { offset: typeAt });
    }
    await skipValue(cur, type, typeAt, label, env);
  }
  return alignment;
}

/** Stops with `scan-incomplete` once the cursor passes the metadata size limit. */
export function checkLimit(cur: HeaderCursor, env: HeaderEnv): void {
  if (cur.pos <= env.limit) return;
  env.ctx.report('scan-incomplete', `GGUF header is larger than the ${env.limit}-byte metadata limit; the rest was not checked`, { offset: env.limit });
  throw new GgufStop();
}

/** A GGUF string: returns at most `keep` bytes of it (decoded) and its declared length; the rest is skipped. */
export async function readString(cur: HeaderCursor, keep: number, env: HeaderEnv, what: string): Promise<{ text: string; length: number }> {
  const at = cur.pos;
  const length = await cur.size();
  if (length > cur.remaining()) lengthOutOfBounds(env, `${what}: string length ${length} exceeds the ${cur.remaining()} bytes left in the file`, at);
  const bytes = await cur.bytes(Math.min(length, keep));
  cur.skip(length - bytes.length);
  return { text: utf8.decode(bytes), length };
}

function lengthOutOfBounds(env: HeaderEnv, message: string, at: number): never {
  env.out.report('gguf-length-out-of-bounds', `${message}; a loader that allocates or copies by it overflows the heap`, { offset: at });
  throw new GgufStop();
}

async function readAlignment(cur: HeaderCursor, type: number, typeAt: number, env: HeaderEnv): Promise<number | undefined> {
  if (type !== GGUF_TYPE.UINT32) {
    env.out.report('gguf-bad-alignment', `general.alignment is stored as ${valueTypeName(type)}, not u32; readers that assume u32 misread it or abort`, { offset: typeAt });
    await skipValue(cur, type, typeAt, quoteName(ALIGNMENT_KEY), env);
    return undefined;
  }
  const value = await cur.u32();
  if (value === 0 || (value & (value - 1)) !== 0) {
    env.out.report('gguf-bad-alignment', `general.alignment is ${value}, not a non-zero power of two; padding arithmetic divides by it or overflows`, { offset: typeAt + 4 });
    return undefined;
  }
  return value;
}

async function readTemplate(cur: HeaderCursor, key: string, env: HeaderEnv): Promise<void> {
  const at = cur.pos;
  const { text, length } = await readString(cur, MAX_TEMPLATE_BYTES, env, `value of ${quoteName(key)}`);
  if (length > MAX_TEMPLATE_BYTES) {
    env.ctx.report('scan-incomplete', `${quoteName(key)} is ${length} bytes; only the first ${MAX_TEMPLATE_BYTES} were checked`, { offset: at });
  }
  env.onTemplate(key, text, at, length);
}

interface ArrayFrame {
  readonly type: number;
  left: number;
}

/**
 * Skips a value of `type`. Arrays are walked with an explicit stack (nested arrays cannot exhaust the call stack,
 * the gguf-py recursion DoS); each declared length is checked against the bytes left before anything is skipped.
 */
async function skipValue(cur: HeaderCursor, type: number, typeAt: number, label: string, env: HeaderEnv): Promise<void> {
  const size = fixedValueSize(type);
  if (size !== undefined) {
    if (size > cur.remaining()) lengthOutOfBounds(env, `${label}: ${valueTypeName(type)} value runs past the end of the file`, typeAt);
    cur.skip(size);
    return;
  }
  if (type === GGUF_TYPE.STRING) {
    await readString(cur, 0, env, `value of ${label}`);
    return;
  }
  if (type !== GGUF_TYPE.ARRAY) invalidType(env, label, type, typeAt);
  const stack: ArrayFrame[] = [await arrayHeader(cur, label, env)];
  let nested = false;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.left === 0) {
      stack.pop();
      continue;
    }
    const elemSize = fixedValueSize(top.type);
    if (elemSize !== undefined) {
      cur.skip(top.left * elemSize); // checked in arrayHeader
      top.left = 0;
    } else if (top.type === GGUF_TYPE.STRING) {
      const r = await cur.skipStrings(top.left, env.limit);
      if (r.ok === false) lengthOutOfBounds(env, `${label}: array string length ${r.length} exceeds the ${cur.fileSize - r.at} bytes left in the file`, r.at);
      if (r.ok === 'limit') checkLimit(cur, env);
      top.left = 0;
    } else {
      top.left--;
      if (!nested) {
        nested = true;
        env.out.report('gguf-nested-array', `${label} is an array of arrays, which llama.cpp refuses`, { offset: cur.pos });
      }
      if (stack.length >= MAX_ARRAY_DEPTH) {
        env.ctx.report('scan-incomplete', `${label} nests arrays more than ${MAX_ARRAY_DEPTH} deep; the rest of the header was not checked`, { offset: cur.pos });
        throw new GgufStop();
      }
      stack.push(await arrayHeader(cur, label, env));
    }
  }
}

/** Reads an array's element type and length and checks the smallest size it can have against the file. */
async function arrayHeader(cur: HeaderCursor, label: string, env: HeaderEnv): Promise<ArrayFrame> {
  const at = cur.pos;
  const type = await cur.u32();
  const length = await cur.size();
  if (!isValueType(type)) invalidType(env, `${label} (array element)`, type, at);
  const minElement = fixedValueSize(type) ?? (type === GGUF_TYPE.STRING ? cur.sizeWidth : 4 + cur.sizeWidth);
  if (length * minElement > cur.remaining()) {
    lengthOutOfBounds(env, `${label}: array of ${length} ${valueTypeName(type)} values needs at least ${length * minElement} bytes but ${cur.remaining()} are left`, at);
  }
  return { type, left: length };
}

function invalidType(env: HeaderEnv, label: string, type: number, at: number): never {
  env.out.report('gguf-invalid-value-type', `${label} has value type ${type}, which GGUF does not define; the rest of the header cannot be read`, { offset: at });
  throw new GgufStop();
}
