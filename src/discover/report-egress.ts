import type { EgressReport } from './egress.js';

/** The JSON report: `{ flows: [{ client, domain, provider, requests, bytes, approved, first, last, unapprovedRequests }] }`. */
export function formatEgressJson(report: EgressReport): string {
  return (
    JSON.stringify(
      {
        flows: report.flows.map((f) => ({ client: f.client, domain: f.domain, provider: f.provider, requests: f.requests, bytes: f.bytes, approved: f.approved, first: f.first, last: f.last, unapprovedRequests: f.unapprovedRequests })),
      },
      null,
      2,
    ) + '\n'
  );
}

/** One line per flow, unapproved first, then a summary. */
export function formatEgressText(report: EgressReport): string {
  const lines = report.flows.map((f) => {
    const status = f.provider === 'local' ? 'local' : f.approved ? 'approved' : f.unapprovedRequests === f.requests ? 'UNAPPROVED' : `UNAPPROVED (${f.unapprovedRequests} of ${f.requests})`;
    return `${status.padEnd(12)} ${f.client.padEnd(16)} ${f.domain.padEnd(40)} ${f.provider.padEnd(14)} ${String(f.requests).padStart(7)} req ${String(f.bytes).padStart(12)} B  ${f.first ?? '-'} .. ${f.last ?? '-'}`;
  });
  const unapproved = report.flows.filter((f) => !f.approved && f.provider !== 'local').length;
  lines.push(`${report.flows.length} AI flow${report.flows.length === 1 ? '' : 's'} (${unapproved} unapproved) in ${report.lines} ${report.format} lines${report.malformed === 0 ? '' : `, ${report.malformed} malformed`}`);
  return lines.join('\n') + '\n';
}
