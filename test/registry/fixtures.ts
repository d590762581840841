import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatManifest, snapshotDataset } from '../../src/data/index.js';
import { serializeModel } from '../../src/hashing/index.js';
import { AuditLog, logKey } from '../../src/audit/index.js';
import { RegistryConfigSchema } from '../../src/core/config-schema.js';
import type { RegistryDeps } from '../../src/registry/index.js';
import { keyHint, provenanceStatement, signModel, signStatement, spkiPem } from '../../src/sign/index.js';
import { openTestSqlite, type TestStore } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { benignPickle, osSystemPickle } from '../support/pickle-asm.js';

/** Runs `fn` with registry deps (default policy) over a fresh store, then drops the store. */
export async function withDeps(fn: (deps: RegistryDeps) => Promise<void>, open: () => Promise<TestStore> = openTestSqlite): Promise<void> {
  const { store, cleanup } = await open();
  const lk = generateKeyPairSync('ed25519');
  try {
    await fn({ store, log: new AuditLog(store, logKey(lk.privateKey, lk.publicKey)), home: tempDir(), config: RegistryConfigSchema.parse({}) });
  } finally {
    await cleanup();
  }
}

/** A signing key pair made for the run (never committed). */
export function signingKeys(): { privateKey: KeyObject; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: spkiPem(publicKey) };
}

export const COMPLETE_CARD = {
  description: 'Flags fraudulent card transactions.',
  task: 'text-classification',
  architecture: 'gradient-boosted trees',
  approach: 'supervised',
  trainingData: [{ name: 'transactions', source: 'https://data.example/transactions', dataset: 'transactions@v1' }],
  intendedUses: ['scoring card transactions for manual review'],
  outOfScopeUses: ['credit decisions'],
  limitations: ['trained on EU transactions only'],
  metrics: [{ name: 'accuracy', value: 0.94, slice: 'holdout 2026-10' }],
  owners: [{ name: 'Risk ML team', contact: 'risk-ml@example.com' }],
  license: 'Apache-2.0',
} as const;

/** A dataset folder and its manifest text. */
export async function dataset(root: string): Promise<{ dir: string; manifest: string }> {
  const dir = join(root, 'transactions');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.csv'), 'amount,label\n10,0\n9000,1\n');
  return { dir, manifest: formatManifest((await snapshotDataset(dir, { name: 'transactions' })).manifest) };
}

export interface ModelFiles {
  dir: string;
  signature?: { text: string; path: string };
  attestation?: { text: string; path: string };
}

/**
 * A model folder (a pickle and a config), signed and attested by `key` from the dataset, unless told otherwise.
 * `tamper` changes a file after signing and attesting.
 */
export async function modelFiles(root: string, name: string, o: { key: KeyObject; datasetDigest: string; malicious?: boolean; sign?: boolean; tamper?: boolean }): Promise<ModelFiles> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.pkl'), o.malicious === true ? osSystemPickle() : benignPickle());
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ name }));
  const out: ModelFiles = { dir };
  if (o.sign !== false) {
    const { bundle } = await signModel(dir, { privateKey: o.key, threads: 1 });
    out.signature = { text: JSON.stringify(bundle), path: join(root, `${name}.sig`) };
  }
  const rootDigest = (await serializeModel(dir, { threads: 1 })).rootDigest;
  const st = provenanceStatement({ model: { name, rootDigest, ignorePaths: [] }, datasets: [{ name: 'transactions', rootDigest: o.datasetDigest, ignorePaths: [] }], parameters: { epochs: 3 } });
  out.attestation = { text: JSON.stringify(signStatement(st, o.key, { hint: keyHint(createPublicKey(o.key)) })), path: join(root, `${name}.att.json`) };
  if (o.tamper === true) writeFileSync(join(dir, 'config.json'), JSON.stringify({ name, tampered: true }));
  return out;
}
