import { createHash } from 'node:crypto';
import { sarifLog } from '../../core/sarif.js';
import type { Severity } from '../../core/finding.js';
import { RULES } from './rules.js';
import type { ScanReport } from './types.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
/** GitHub code scanning reads `security-severity` (0–10) to rank security results. */
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0' };

/**
 * SARIF 2.1.0 for code-scanning UIs. `partialFingerprints` hash the rule, the file, the member and the message
 * without offsets, so a result keeps its identity across runs and small edits elsewhere in the file.
 */
export function formatSarif(report: ScanReport, version: string): object {
  const used = [...new Set(report.files.flatMap((f) => f.findings.map((x) => x.rule)))].sort();
  const index = new Map(used.map((id, i) => [id, i]));
  const results = report.files.flatMap((f) =>
    f.findings.map((x) => {
      const stable = x.message.replace(/offset \d+/g, 'offset N');
      const fp = createHash('sha256').update(`${x.rule}\n${f.path}\n${x.location.member ?? ''}\n${stable}`).digest('hex');
      const region = x.location.offset === undefined ? {} : { region: { byteOffset: x.location.offset } };
      const logical = x.location.member === undefined ? {} : { logicalLocations: [{ name: x.location.member, kind: 'member' }] };
      return {
        ruleId: x.rule,
        ruleIndex: index.get(x.rule)!,
        level: LEVEL[x.severity],
        message: { text: x.message },
        locations: [{ physicalLocation: { artifactLocation: { uri: toUri(f.path) }, ...(x.location.member === undefined ? region : {}) }, ...logical }],
        partialFingerprints: { 'palisadeFinding/v1': fp },
        properties: { verdict: f.verdict, format: f.format, ...(x.location.opcode === undefined ? {} : { opcode: x.location.opcode }), ...(x.location.offset === undefined ? {} : { offset: x.location.offset }) },
      };
    }),
  );
  return sarifLog({
    tool: 'palisade',
    version,
    rules: used.map((id) => {
      const r = RULES[id]!;
      return {
        id,
        name: id.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase()),
        shortDescription: { text: r.title },
        fullDescription: { text: r.title },
        help: { text: r.help },
        defaultConfiguration: { level: LEVEL[r.severity] },
        properties: { 'security-severity': SCORE[r.severity], tags: ['security', 'model-scan'], impact: r.impact },
      };
    }),
    results,
    invocation: { executionSuccessful: report.summary.error === 0 },
  });
}

function toUri(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}
