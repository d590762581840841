import { createHash } from 'node:crypto';
import { sarifLog } from '../core/sarif.js';
import type { CodeFinding, FindingKind } from './code-detect.js';
import type { CodeReport } from './discover-code.js';

const RULES: Readonly<Record<FindingKind, { name: string; text: string; level: 'error' | 'warning' | 'note'; score: string }>> = {
  key: { name: 'HardCodedAiKey', text: 'A hard-coded AI provider key: rotate it and load it from a secret store', level: 'error', score: '9.0' },
  sdk: { name: 'AiSdkUse', text: 'An AI provider SDK or single-provider wrapper is imported or declared', level: 'warning', score: '4.0' },
  endpoint: { name: 'AiEndpoint', text: 'A hosted AI API endpoint is named in code or config', level: 'warning', score: '4.0' },
  'local-model': { name: 'LocalModelServer', text: 'A self-hosted model server (Ollama, vLLM, LM Studio, …) is used', level: 'note', score: '2.0' },
};
const ORDER: readonly FindingKind[] = ['sdk', 'endpoint', 'key', 'local-model'];

/** The JSON report: exactly `{ findings: [{ file, line, kind, provider, evidence }] }`. */
export function formatCodeJson(report: CodeReport): string {
  return JSON.stringify({ findings: report.findings.map((f) => ({ file: f.file, line: f.line, kind: f.kind, provider: f.provider, evidence: f.evidence })) }, null, 2) + '\n';
}

/**
 * SARIF 2.1.0, one rule per finding kind (`discover-<kind>`). Fingerprints hash kind, provider, file and evidence
 * without the line, so a finding keeps its identity when lines move. Skipped files become notifications.
 */
export function formatCodeSarif(report: CodeReport, version: string): object {
  return sarifLog({
    tool: 'palisade-discover',
    version,
    rules: ORDER.map((k) => ({
      id: `discover-${k}`,
      name: RULES[k].name,
      shortDescription: { text: RULES[k].text },
      defaultConfiguration: { level: RULES[k].level },
      properties: { 'security-severity': RULES[k].score, tags: ['security', 'shadow-ai'] },
    })),
    results: report.findings.map((f) => ({
      ruleId: `discover-${f.kind}`,
      ruleIndex: ORDER.indexOf(f.kind),
      level: RULES[f.kind].level,
      message: { text: `${f.kind === 'local-model' ? 'local model server' : f.kind} (${f.provider}): ${f.evidence}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: toUri(f.file) }, region: { startLine: f.line } } }],
      partialFingerprints: { 'palisadeDiscover/v1': fingerprint(f) },
      properties: { provider: f.provider, kind: f.kind },
    })),
    invocation: {
      executionSuccessful: true,
      toolExecutionNotifications: report.skipped.map((s) => ({ level: 'note', message: { text: `skipped (${s.reason})` }, locations: [{ physicalLocation: { artifactLocation: { uri: toUri(s.file) } } }] })),
    },
  });
}

/** One line per finding, then a summary. */
export function formatCodeText(report: CodeReport): string {
  const lines = report.findings.map((f) => `${f.file}:${f.line}  ${f.kind.padEnd(11)} ${f.provider.padEnd(14)} ${f.evidence}`);
  const by = ORDER.map((k) => `${report.findings.filter((f) => f.kind === k).length} ${k}`).join(', ');
  lines.push(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} in ${report.files} files (${by})`);
  return lines.join('\n') + '\n';
}

function fingerprint(f: CodeFinding): string {
  return createHash('sha256').update(`${f.kind}\n${f.provider}\n${f.file}\n${f.evidence}`).digest('hex');
}

const toUri = (path: string): string => path.split('/').map(encodeURIComponent).join('/');
