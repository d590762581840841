import { readFileSync, statSync } from 'node:fs';
import { isMap, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { CoreError } from './errors.js';
import { ConfigSchema, type Config } from './config-schema.js';
import { assertSafeOwnership } from './home.js';

/** Deep-freezes the parsed config: downstream code trusts it without checking again. */
function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** Parses and validates config text; errors name the file, the line and the key. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new CoreError('CORE_CONFIG_INVALID', `${file}:${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = typoOrFirst(parsed.error.issues);
    const path = issue.path.map(String);
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const where = keys.length > 0 ? [...path, keys[0]!] : path;
    const line = lineOf(doc.contents, where, lineCounter);
    const name = where.join('.') || '(top level)';
    const what = keys.length > 0 ? `unknown key '${name}'` : `'${name}': ${issue.message}`;
    throw new CoreError('CORE_CONFIG_INVALID', `${file}${line === undefined ? '' : `:${line}`}: ${what}`);
  }
  return deepFreeze(parsed.data);
}

type Issue = z.core.$ZodIssue;

/**
 * A misspelt key shows up twice: as unknown, and as the required key it was meant to be. Name the typo. Where a
 * value may take one of several shapes (a gateway model), a key that none of them knows is the typo.
 */
function typoOrFirst(issues: readonly Issue[]): Issue {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown !== undefined) return unknown;
  const first = issues[0]!;
  if (first.code !== 'invalid_union' || first.errors.length === 0) return first;
  const perShape = first.errors.map((shape) => new Set(shape.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []))));
  const typo = [...perShape[0]!].find((k) => perShape.every((known) => known.has(k)));
  return typo === undefined ? first : { code: 'unrecognized_keys', keys: [typo], path: first.path, message: `Unrecognized key: "${typo}"` };
}

function lineOf(node: YamlNode | null, path: string[], lc: LineCounter): number | undefined {
  let cur: unknown = node;
  let line: number | undefined = (node as { range?: number[] } | null)?.range ? lc.linePos((node as { range: number[] }).range[0]!).line : undefined;
  for (const key of path) {
    if (!isMap(cur)) break;
    const pair = cur.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === key);
    if (pair === undefined) break;
    const range = (pair.key as { range?: number[] } | null)?.range;
    if (range !== undefined) line = lc.linePos(range[0]!).line;
    cur = pair.value;
  }
  return line;
}

/** Reads a config file, refusing one that another user owns or that others can write. */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    assertSafeOwnership(file, statSync(file), 'config file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CoreError) throw err;
    throw new CoreError('CORE_CONFIG_NOT_FOUND', `cannot read config ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, file);
}

export const DEFAULT_CONFIG: Config = deepFreeze(ConfigSchema.parse({}));
