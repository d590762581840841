import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import type { FileReport } from './types.js';
import { verdictOf } from './verdict.js';

/**
 * Accepted findings: a finding is hidden when its file's SHA-256 and its rule match an entry (and its member, when
 * the entry names one). Keyed by digest, so a changed file is scanned afresh.
 */
export const SuppressionsSchema = z.strictObject({
  suppressions: z.array(
    z.strictObject({
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256'),
      rule: z.string().min(1),
      member: z.string().optional(),
      reason: z.string().min(1, 'say why the finding is accepted'),
    }),
  ),
});

export type Suppressions = z.infer<typeof SuppressionsSchema>['suppressions'];

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Moves suppressed findings of each report into `suppressed` and recomputes its verdict. Only files with findings
 * are hashed, so an ordinary scan never pays for hashing.
 */
export async function applySuppressions(reports: FileReport[], list: Suppressions, pathOf: (r: FileReport) => string): Promise<void> {
  if (list.length === 0) return;
  const byDigest = new Map<string, Suppressions>();
  for (const s of list) byDigest.set(s.sha256, [...(byDigest.get(s.sha256) ?? []), s]);
  for (const r of reports) {
    if (r.findings.length === 0 || r.verdict === 'error') continue;
    r.sha256 = await sha256File(pathOf(r));
    const entries = byDigest.get(r.sha256);
    if (entries === undefined) continue;
    const kept = [];
    for (const f of r.findings) {
      const hit = entries.find((s) => s.rule === f.rule && (s.member === undefined || s.member === f.location.member));
      if (hit === undefined) kept.push(f);
      else (r.suppressed ??= []).push({ ...f, reason: hit.reason });
    }
    r.findings = kept;
    r.verdict = verdictOf(kept);
  }
}
