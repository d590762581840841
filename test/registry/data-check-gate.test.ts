import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/access/index.js';
import { AuditLog, logKey } from '../../src/audit/index.js';
import { RegistryConfigSchema } from '../../src/core/config-schema.js';
import { checkedEventData, checkTables, DATA_CHECKED, readTable } from '../../src/data/check/index.js';
import { formatManifest, snapshotDataset } from '../../src/data/index.js';
import { addTrust, promote, registerDataset, registerModel, type RegistryDeps } from '../../src/registry/index.js';
import * as gen from '../support/data-check-gen.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite, type TestStore } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { COMPLETE_CARD, modelFiles, signingKeys } from './fixtures.js';

const admin: Principal = { id: 'user:root', role: 'admin' };
const eve: Principal = { id: 'user:eve', role: 'ml-engineer' };

async function gateFlow(open: () => Promise<TestStore>): Promise<void> {
  const { store, cleanup } = await open();
  try {
    const lk = generateKeyPairSync('ed25519');
    const log = new AuditLog(store, logKey(lk.privateKey, lk.publicKey));
    const root = tempDir();
    const deps: RegistryDeps = { store, log, home: root, config: RegistryConfigSchema.parse({ gates: { production: ['data-check'] } }) };
    const write = (name: string, rows: gen.Row[]): string => {
      const p = join(root, name);
      writeFileSync(p, gen.toCsv(rows));
      return p;
    };
    const ref = write('ref.csv', gen.tableRows({ rows: 2000, seed: 1 }));
    const shifted = write('shifted.csv', gen.tableRows({ rows: 2000, seed: 3, shift: 1 }));
    const train = write('train.csv', gen.tableRows({ rows: 2000, seed: 2 }));
    const other = write('other.csv', gen.tableRows({ rows: 2000, seed: 4 }));
    const fresh = write('fresh.csv', gen.tableRows({ rows: 2000, seed: 6 }));
    const digest = async (p: string): Promise<string> => (await snapshotDataset(p, { name: 'x', rows: false })).manifest.rootDigest;
    // What `palisade data check --reference r --current c` records, from a real check of the real files.
    const check = async (r: string, c: string): Promise<string> => {
      const report = checkTables(await readTable(r), await readTable(c), { label: 'label' });
      await log.record({ type: DATA_CHECKED, actor: eve.id, subject: `path:${c}`, data: { ...checkedEventData(report, { path: r, rootDigest: await digest(r) }, { path: c, rootDigest: await digest(c) }) } });
      await log.flush();
      return report.verdict;
    };
    const manifest = formatManifest((await snapshotDataset(train, { name: 'transactions' })).manifest);
    const ds = await registerDataset(deps, eve, { path: train, manifestText: manifest, version: 'v1' });
    expect(ds.rootDigest).toBe(await digest(train));

    let n = 0;
    const gate = async (o: { card?: object; attestation?: { text: string; path: string } } = {}): Promise<{ ok: boolean; reason: string }> => {
      const version = `1.0.${n++}`;
      const m = await modelFiles(root, `m-${version}`, { key: signingKeys().privateKey, datasetDigest: ds.rootDigest, sign: false });
      await registerModel(deps, eve, { path: m.dir, name: 'fraud', version, card: (o.card ?? COMPLETE_CARD) as never, ...(o.attestation === undefined ? {} : { attestation: o.attestation }) });
      const r = await promote(deps, eve, 'fraud', version, 'production');
      expect(r.gates.map((g) => g.gate)).toEqual(['data-check']);
      expect(r.promoted).toBe(r.gates[0]!.ok);
      return { ok: r.gates[0]!.ok, reason: r.gates[0]!.reason };
    };

    // The card names transactions@v1; nothing checked it yet. A check with it as the reference does not count.
    expect(await gate()).toEqual({ ok: false, reason: expect.stringMatching(/^no data check recorded for transactions@v1 \(sha256 [0-9a-f]{12}…\): run palisade data check --current on it$/) });
    expect(await check(train, other)).toBe('clean');
    expect((await gate()).reason).toMatch(/^no data check recorded for transactions@v1/);

    // Dirty, then clean, then dirty again: the most recent check of the digest decides.
    expect(await check(shifted, train)).toBe('drift');
    expect((await gate()).reason).toMatch(/^the latest data check of transactions@v1 \(sha256 [0-9a-f]{12}…\) \(audit entry \d+, .+\) found drift$/);
    expect(await check(ref, train)).toBe('clean');
    expect(await gate()).toEqual({ ok: true, reason: expect.stringMatching(/^latest data check clean for transactions@v1 \(audit entry \d+\)$/) });
    expect(await check(shifted, train)).toBe('drift');
    expect((await gate()).ok).toBe(false);
    expect(await check(ref, train)).toBe('clean');

    // No dataset named at all, or one that is not registered: blocked with the reason.
    const { trainingData: _omit, ...noData } = COMPLETE_CARD;
    void _omit;
    expect((await gate({ card: noData })).reason).toMatch(/^no training dataset is named/);
    expect((await gate({ card: { ...COMPLETE_CARD, trainingData: [{ name: 'x', source: 'y', dataset: 'ghost@v9' }] } })).reason).toBe('the card names dataset ghost@v9, which is not registered (palisade dataset register)');

    // The attestation's datasets count too, once a trusted key verifies it; an untrusted one blocks.
    const { privateKey, publicPem } = signingKeys();
    const attested = await modelFiles(root, 'attested', { key: privateKey, datasetDigest: await digest(fresh), sign: false });
    expect((await gate({ card: noData, attestation: attested.attestation! })).reason).toMatch(/^the training attestation's datasets cannot be trusted: no trusted keys/);
    await addTrust(deps, admin, 'release-key', publicPem);
    expect((await gate({ card: noData, attestation: attested.attestation! })).reason).toMatch(/^no data check recorded for transactions \(sha256 /);
    expect(await check(ref, fresh)).toBe('clean');
    expect((await gate({ attestation: attested.attestation! })).reason).toMatch(/^latest data check clean for transactions@v1 \(audit entry \d+\), transactions \(audit entry \d+\)$/);
  } finally {
    await cleanup();
  }
}

describe('data-check promotion gate on SQLite', () => {
  it('blocks promotion until the latest data check of every training dataset is clean', () => gateFlow(openTestSqlite), 60_000);
});

await describeWithService('postgres', 'data-check promotion gate on PostgreSQL', () => {
  it('blocks promotion until the latest data check of every training dataset is clean', () => gateFlow(openTestPostgres), 60_000);
});
