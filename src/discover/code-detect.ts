import { assembledHits, collectConstant, endpointHits } from './endpoints.js';
import { isCommentLine, type FileKind } from './file-kind.js';
import { findKeys, maskSecrets } from './keys.js';
import { npmDependencies, sdkHits, type SdkState } from './sdk-detect.js';

export const FINDING_KINDS = ['sdk', 'endpoint', 'key', 'local-model'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** One discovery in code, exactly the shape `palisade discover code --json` prints. */
export interface CodeFinding {
  /** Relative to the scanned folder, with `/` separators. */
  file: string;
  /** 1-based. */
  line: number;
  kind: FindingKind;
  provider: string;
  /** What was seen, with every key masked. */
  evidence: string;
}

/** Lines longer than this are minified or generated: only keys are looked for in them. */
const MAX_LINE = 4096;

/**
 * Every AI use in one file's text. Pure: the caller reads the file. Keys are looked for in every line, comments
 * included (a key in a comment is still a leaked key); SDK, endpoint and local-model detection skip comment lines,
 * which are prose.
 */
export function detectInText(file: string, text: string, kind: FileKind): CodeFinding[] {
  const findings: CodeFinding[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const push = (line: number, k: FindingKind, provider: string, evidence: string): void => {
    if (!findings.some((f) => f.line === line && f.kind === k && f.provider === provider)) findings.push({ file, line, kind: k, provider, evidence: maskSecrets(evidence.trim()).slice(0, 200) });
  };

  if (kind !== 'text') {
    const state: SdkState = { tomlDeps: false, tomlArray: false, ...(kind === 'npm-manifest' ? { npmDeps: npmDependencies(text) } : {}) };
    const constants = new Map<string, string>();
    const code = kind === 'python' || kind === 'notebook' || kind === 'js' || kind === 'go' || kind === 'java';
    for (let n = 0; n < lineStarts.length; n++) {
      const end = n + 1 < lineStarts.length ? lineStarts[n + 1]! - 1 : text.length;
      if (end - lineStarts[n]! > MAX_LINE) continue;
      const line = text.slice(lineStarts[n], end);
      if (isCommentLine(line, kind)) continue;
      for (const h of sdkHits(line, kind, state)) {
        if (h.provider.startsWith('local-model:')) push(n + 1, 'local-model', h.provider.slice('local-model:'.length), line);
        else push(n + 1, 'sdk', h.provider, line);
      }
      for (const h of endpointHits(line)) push(n + 1, h.kind, h.provider, h.evidence);
      if (code) {
        collectConstant(line, constants);
        for (const h of assembledHits(line, constants)) push(n + 1, h.kind, h.provider, h.evidence);
      }
    }
  }
  for (const k of findKeys(text)) push(lineOf(lineStarts, k.start), 'key', k.provider, k.masked);
  return findings.sort((a, b) => a.line - b.line || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind));
}

/** 1-based line of an offset (binary search over line starts). */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
