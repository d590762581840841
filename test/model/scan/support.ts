import { BufferBlob, type Blob } from '../../../src/model/scan/blob.js';
import { ScanContext } from '../../../src/model/scan/context.js';
import { dispatch } from '../../../src/model/scan/dispatch.js';
import { DEFAULT_LIMITS, type ScanLimits } from '../../../src/model/scan/limits.js';
import { defaultPolicy } from '../../../src/model/scan/pickle/default-policy.js';
import type { ScanFinding, ScanFormat } from '../../../src/model/scan/types.js';

/** A context that records findings into an array and dispatches members through the real format detection. */
export function makeContext(limits: Partial<ScanLimits> = {}): { ctx: ScanContext; findings: ScanFinding[] } {
  const findings: ScanFinding[] = [];
  const ctx = new ScanContext(findings, defaultPolicy(), { ...DEFAULT_LIMITS, ...limits }, dispatch);
  return { ctx, findings };
}

/** Detects and scans bytes as a whole file would be; returns the format and the rule ids found. */
export async function scanBytes(
  bytes: Uint8Array | Blob,
  limits: Partial<ScanLimits> = {},
): Promise<{ format: ScanFormat; findings: ScanFinding[]; rules: string[]; everyRule: string[] }> {
  const { ctx, findings } = makeContext(limits);
  const blob = bytes instanceof Uint8Array ? new BufferBlob(bytes) : bytes;
  const format = await dispatch(blob, ctx);
  const everyRule = findings.map((f) => f.rule).sort();
  return { format, findings, rules: [...new Set(everyRule)], everyRule };
}

/**
 * Runs one format scanner directly (no detection). `rules` lists each rule id once; `everyRule` lists one per
 * finding, for tests that count findings per rule. Both sorted.
 */
export async function scanWith(
  scanner: (blob: Blob, ctx: ScanContext) => Promise<ScanFormat>,
  data: Uint8Array | Blob,
  limits: Partial<ScanLimits> = {},
): Promise<{ format: ScanFormat; findings: ScanFinding[]; rules: string[]; everyRule: string[] }> {
  const { ctx, findings } = makeContext(limits);
  const format = await scanner(data instanceof Uint8Array ? new BufferBlob(data) : data, ctx);
  const everyRule = findings.map((f) => f.rule).sort();
  return { format, findings, rules: [...new Set(everyRule)], everyRule };
}
