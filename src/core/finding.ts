/** One severity scale for every layer: scan, guards, data checks, discovery. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where a finding was seen. Every field is optional; layers fill what they know. */
export interface FindingLocation {
  /** Archive member path (`archive/data.pkl`, or `outer.zip!inner.pkl` for nested archives). */
  member?: string;
  /** Byte offset inside the innermost stream the finding is about. */
  offset?: number;
  /** Pickle opcode name, when the finding is about one opcode. */
  opcode?: string;
}

/** The one finding shape shared by every reporting command. */
export interface Finding {
  /** Stable rule id, e.g. `pickle-dangerous-global`. Never renamed or reused. */
  rule: string;
  severity: Severity;
  message: string;
  location: FindingLocation;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function maxSeverity(findings: readonly { severity: Severity }[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (best === undefined || severityRank(f.severity) > severityRank(best)) best = f.severity;
  return best;
}
