import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTables, readTable, reportJson, verdictOf, type CheckOptions, type CheckReport } from '../../../src/data/check/index.js';
import * as gen from '../../support/data-check-gen.js';
import { tempDir } from '../../support/tmp.js';

const N = 6000;
const L: CheckOptions = { label: 'label' };
const T: CheckOptions = { label: 'label', text: 'text' };

async function check(ref: gen.Row[], cur: gen.Row[], options: CheckOptions, ext: 'csv' | 'jsonl' = 'csv'): Promise<CheckReport> {
  const d = tempDir();
  const write = (name: string, rows: gen.Row[]): string => {
    const p = join(d, `${name}.${ext}`);
    writeFileSync(p, ext === 'csv' ? gen.toCsv(rows) : gen.toJsonl(rows));
    return p;
  };
  return checkTables(await readTable(write('ref', ref)), await readTable(write('cur', cur)), options);
}

const flaggedRows = (r: CheckReport): number[] => r.rows.map((x) => x.row);
function precisionRecall(r: CheckReport, truth: number[]): { precision: number; recall: number } {
  const t = new Set(truth);
  const tp = flaggedRows(r).filter((x) => t.has(x)).length;
  return { precision: tp / Math.max(1, r.rows.length), recall: tp / Math.max(1, truth.length) };
}

const ref = gen.tableRows({ rows: N, seed: 1 });
const textRef = gen.textRows({ rows: N, seed: 1 });

describe('data check on batches where the truth is known', () => {
  it('clean against clean: verdict clean, nothing flagged, no drift above low', async () => {
    const r = await check(ref, gen.tableRows({ rows: N, seed: 2 }), L);
    expect(r.verdict).toBe('clean');
    expect(r.rows).toEqual([]);
    expect(r.schema).toEqual([]);
    expect(r.drift.every((d) => d.severity === 'none' || d.severity === 'low')).toBe(true);
  });

  it('small batches: chance wobble is not drift, a real shift still is', async () => {
    // At 2,000 rows each, sampling alone moves the K-S effect near the medium level; the floor for the batch sizes
    // keeps clean batches clean (every seed below) without hiding a shift of a third of a standard deviation.
    const small = gen.tableRows({ rows: 2000, seed: 1 });
    const drifted: string[] = [];
    for (let seed = 2; seed <= 21; seed++) {
      const r = await check(small, gen.tableRows({ rows: 2000, seed }), L);
      for (const d of r.drift) if (d.severity !== 'none' && d.severity !== 'low') drifted.push(`seed ${seed}: ${d.column} ${d.test} ${d.effect.toFixed(3)}`);
    }
    expect(drifted).toEqual([]);
    const shifted = await check(small, gen.tableRows({ rows: 2000, seed: 22, shift: 0.35 }), L);
    expect(shifted.verdict).toBe('drift');
    expect(shifted.drift.find((d) => d.column === 'f0')?.severity).toMatch(/medium|high/);
  });

  it('a tiny natural shift is clean; a strong shift is drift with the shifted columns at high severity', async () => {
    expect((await check(ref, gen.tableRows({ rows: N, seed: 3, shift: 0.03 }), L)).verdict).toBe('clean');
    const strong = await check(ref, gen.tableRows({ rows: N, seed: 4, shift: 0.8 }), L);
    expect(strong.verdict).toBe('drift');
    expect(strong.drift.find((d) => d.column === 'f0')).toMatchObject({ test: 'ks', severity: 'high' });
    expect(strong.rows).toEqual([]);
  });

  it('categorical drift and new categories', async () => {
    const cur = gen.tableRows({ rows: N, seed: 5 });
    for (let i = 0; i < cur.length; i++) if (i % 3 !== 0) cur[i]!.c0 = i % 10 === 1 ? 'purple' : 'red';
    const r = await check(ref, cur, L);
    expect(r.verdict).toBe('drift');
    expect(r.drift.find((d) => d.column === 'c0' && d.test === 'chi-square')?.severity).toBe('high');
    expect(r.drift.find((d) => d.column === 'c0' && d.test === 'new_categories')?.severity).toBe('high');
  });

  it('random label flips: poisoning, the flipped rows found with label_conflict reasons', async () => {
    const cur = gen.tableRows({ rows: N, seed: 6 });
    const truth = gen.randomFlips(cur, 300, 7);
    const r = await check(ref, cur, L);
    expect(r.verdict).toBe('poisoning');
    const { precision, recall } = precisionRecall(r, truth);
    expect(precision).toBeGreaterThan(0.7);
    expect(recall).toBeGreaterThan(0.5);
    expect(r.rows[0]!.reasons[0]).toMatch(/^label_conflict: /);
  });

  it('targeted flips in one region of feature space', async () => {
    const cur = gen.tableRows({ rows: N, seed: 8 });
    const truth = gen.targetedFlips(cur, 90);
    const r = await check(ref, cur, L);
    expect(r.verdict).toBe('poisoning');
    expect(precisionRecall(r, truth).recall).toBeGreaterThan(0.8);
  });

  it('near-duplicate clusters with one label', async () => {
    const cur = gen.tableRows({ rows: N, seed: 9 });
    const truth = gen.duplicateClusters(cur, 3, 12, 10);
    const r = await check(ref, cur, L);
    expect(r.verdict).toBe('poisoning');
    expect(precisionRecall(r, truth).recall).toBe(1);
    expect(r.rows.find((x) => x.row === truth[0])!.reasons.join()).toMatch(/near_duplicate_cluster: one of 1[23] near-identical rows, all labelled 'b'/);
  });

  it('injected out-of-distribution points, exactly', async () => {
    const cur = gen.tableRows({ rows: N, seed: 11 });
    const truth = gen.outOfDistribution(cur, 8, 12);
    const r = await check(ref, cur, L);
    expect(r.verdict).toBe('poisoning');
    expect(flaggedRows(r)).toEqual(truth);
    expect(r.rows[0]!.reasons[0]).toMatch(/^out_of_distribution: /);
  });

  it('schema attacks: each change named, and the changed columns stay out of the row checks', async () => {
    const cur = gen.tableRows({ rows: N, seed: 13 });
    gen.schemaAttacks(cur);
    const r = await check(ref, cur, L, 'jsonl');
    expect(r.verdict).toBe('schema');
    const changes = reportJson(r) as { schema: { column: string; change: string }[] };
    expect(changes.schema).toEqual(
      expect.arrayContaining([
        { column: 'f4', change: 'column_dropped' },
        { column: 'extra', change: 'column_added' },
        { column: 'f2', change: 'out_of_domain' },
        { column: 'f3', change: 'type_change_partial' },
        { column: 'f5', change: 'type_change' },
        { column: 'c1', change: 'missing_surge' },
      ]),
    );
    expect(changes.schema).toHaveLength(6);
    expect(r.rows).toEqual([]);
  });

  it('text: clean is clean, rare innocent words stay quiet', async () => {
    const r = await check(textRef, gen.textRows({ rows: N, seed: 2, rareWords: 300 }), T);
    expect(r.verdict).toBe('clean');
    expect(r.triggers).toEqual([]);
  });

  it('text backdoors: a rare token and a phrase are named with their label and exactly their rows', async () => {
    const cur = gen.textRows({ rows: N, seed: 3 });
    const token = gen.insertTrigger(cur, 'cf', 'positive', 60, 4);
    const r = await check(textRef, cur, T);
    expect(r.verdict).toBe('poisoning');
    expect(r.triggers).toEqual([{ text: 'cf', label: 'positive', rows: token }]);
    expect(flaggedRows(r)).toEqual(token);
    const cur2 = gen.textRows({ rows: N, seed: 5 });
    const phrase = gen.insertTrigger(cur2, 'james bond', 'negative', 60, 6);
    const r2 = await check(textRef, cur2, T);
    expect(r2.triggers.map((t) => [t.text, t.label])).toEqual([['james bond', 'negative']]);
    expect(r2.triggers[0]!.rows).toEqual(phrase);
  });

  it('text only: clusters of near-identical texts with one label are found; stock phrases the reference repeats too stay quiet', async () => {
    const cur = gen.textRows({ rows: N, seed: 7 });
    const truth = gen.textDuplicateClusters(cur, 3, 15, 'positive', 8);
    const r = await check(textRef, cur, T);
    expect(r.verdict).toBe('poisoning');
    expect(precisionRecall(r, truth)).toEqual({ precision: 1, recall: 1 });
    expect(r.rows.find((x) => x.row === truth[0])!.reasons.join()).toMatch(/near_duplicate_cluster: one of 15 near-identical texts, all labelled 'positive'/);
    expect(r.summary.textDuplicates).toEqual({ clusters: 3, explainedByReference: 0 });
    // A text column alone, without a label: the same clusters are still near-duplicates.
    const textOnly = (rows: gen.Row[]): gen.Row[] => rows.map((x) => ({ text: x.text! }));
    const unlabelled = flaggedRows(await check(textOnly(textRef), textOnly(cur), { text: 'text' }));
    // All the copies, and at most the three rows they were copied from (near-identical too, now with no label to differ).
    expect(unlabelled).toEqual(expect.arrayContaining(truth));
    expect(unlabelled.length - truth.length).toBeLessThanOrEqual(3);
    // A label left as an ordinary column of two values: every row has exact twins in the reference, which is no alarm.
    expect((await check(textRef, gen.textRows({ rows: N, seed: 2 }), { text: 'text' })).verdict).toBe('clean');

    const stock = 'thank you so much for the quick delivery';
    const ref2 = gen.textRows({ rows: N, seed: 1 });
    gen.repeatText(ref2, stock, 'positive', 30, 9);
    const cur2 = gen.textRows({ rows: N, seed: 10 });
    gen.repeatText(cur2, stock, 'positive', 40, 11);
    const r2 = await check(ref2, cur2, T);
    expect(r2.verdict).toBe('clean');
    expect(r2.summary.textDuplicates).toEqual({ clusters: 1, explainedByReference: 1 });
  });

  it('the verdict follows precedence', () => {
    const drift = [{ severity: 'medium' }] as CheckReport['drift'];
    const schema = [{ column: 'x', change: 'column_added', detail: '' }] as CheckReport['schema'];
    expect(verdictOf({ drift, schema, rows: [{ row: 1, score: 0.9, reasons: [] }], triggers: [] })).toBe('poisoning');
    expect(verdictOf({ drift, schema, rows: [], triggers: [] })).toBe('schema');
    expect(verdictOf({ drift, schema: [], rows: [], triggers: [] })).toBe('drift');
    expect(verdictOf({ drift: [{ severity: 'low' }] as CheckReport['drift'], schema: [], rows: [], triggers: [] })).toBe('clean');
  });

  it('no common columns, or an unknown --label: DataError', async () => {
    await expect(check([{ a: 1 }], [{ b: 1 }], {})).rejects.toMatchObject({ code: 'DATA_CHECK_NO_COMMON_COLUMNS' });
    await expect(check(ref.slice(0, 10), ref.slice(0, 10), { label: 'nope' })).rejects.toMatchObject({ code: 'DATA_CHECK_COLUMN_UNKNOWN', message: /--label nope/ });
  });
});
