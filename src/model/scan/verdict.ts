import { ruleMeta } from './rules.js';
import type { ScanFinding, Verdict } from './types.js';

/** The verdict findings give: any `unsafe` rule → unsafe; any `suspicious` rule → suspicious; else safe. */
export function verdictOf(findings: readonly ScanFinding[]): Exclude<Verdict, 'error'> {
  let v: Exclude<Verdict, 'error'> = 'safe';
  for (const f of findings) {
    const impact = ruleMeta(f.rule).impact;
    if (impact === 'unsafe') return 'unsafe';
    if (impact === 'suspicious') v = 'suspicious';
  }
  return v;
}

/** Whether a verdict reaches the `--fail-on` threshold. */
export function failsAt(verdict: Verdict, failOn: 'unsafe' | 'suspicious'): boolean {
  return verdict === 'unsafe' || (failOn === 'suspicious' && verdict === 'suspicious');
}
