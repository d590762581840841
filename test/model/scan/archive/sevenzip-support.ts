import { readFileSync } from 'node:fs';
import { BufferBlob, readAll, type Blob } from '../../../../src/model/scan/blob.js';
import { ScanContext } from '../../../../src/model/scan/context.js';
import { scanSevenZip } from '../../../../src/model/scan/archive/sevenzip.js';
import { DEFAULT_LIMITS, type ScanLimits } from '../../../../src/model/scan/limits.js';
import { defaultPolicy } from '../../../../src/model/scan/pickle/default-policy.js';
import type { ScanFinding, ScanFormat } from '../../../../src/model/scan/types.js';
import { SEVENZIP_DIR } from './lzma-vectors.js';

export const readArchive = (file: string): Uint8Array => new Uint8Array(readFileSync(SEVENZIP_DIR + file));

export interface SevenZipScan {
  findings: ScanFinding[];
  rules: string[];
  /** What a spy dispatch received: member path → bytes. */
  members: Map<string, Uint8Array>;
}

/** Scans a 7z with a dispatch spy in place of format detection, so tests see exactly what would be scanned. */
export async function scan7z(input: string | Uint8Array, limits: Partial<ScanLimits> = {}): Promise<SevenZipScan> {
  const findings: ScanFinding[] = [];
  const members = new Map<string, Uint8Array>();
  const spy = async (blob: Blob, ctx: ScanContext): Promise<ScanFormat> => {
    members.set(ctx.member!, await readAll(blob));
    return 'other';
  };
  const ctx = new ScanContext(findings, defaultPolicy(), { ...DEFAULT_LIMITS, ...limits }, spy);
  const bytes = typeof input === 'string' ? readArchive(input) : input;
  await scanSevenZip(new BufferBlob(bytes), ctx);
  return { findings, rules: [...new Set(findings.map((f) => f.rule))].sort(), members };
}
