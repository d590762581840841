import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, certificatesFromPem, IN_TOTO_PAYLOAD_TYPE, keyHint, publicKeyFrom, signPae, verifyModel, type VerifyReport } from '../../src/sign/index.js';
import { buildReferenceModel } from '../support/reference-models.js';
import { tempDir } from '../support/tmp.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'sign');
const GOLD = join(FIX, 'goldens');
const KEYS = join(GOLD, 'keys', 'certificate');
const publicKey = publicKeyFrom(readFileSync(join(KEYS, 'signing-key-pub.pem')), 'golden key');
const trustAnchors = certificatesFromPem(readFileSync(join(KEYS, 'ca-cert.pem'), 'utf8'), 'ca-cert.pem');

/** What each golden signs: v0.3.1 and v1.0.0 elliptic-key signed the single file signme-1. */
const target = (dir: string): string => (/^v(0\.3\.1|1\.0\.0)-elliptic-key$/.test(dir) ? join(GOLD, dir, 'signme-1') : join(GOLD, dir));

async function verifyGolden(dir: string): Promise<VerifyReport> {
  const sig = join(GOLD, dir, 'model.sig');
  return verifyModel(target(dir), readFileSync(sig), { publicKey, trustAnchors, signaturePath: sig, ignorePaths: dir.startsWith('v1.0.1') ? ['ignore-me'] : [] });
}

describe('reference goldens (model_signing v0.2.0 to v1.1.0)', () => {
  for (const v of ['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0']) {
    for (const method of ['elliptic-key', 'certificate']) {
      it(`${v}-${method} verifies`, async () => {
        const r = await verifyGolden(`${v}-${method}`);
        expect(r.reason).toBeUndefined();
        expect(r.status).toBe('verified');
        expect(r.legacy).toBe(false);
        expect(r.diff).toEqual({ modified: [], added: [], removed: [] });
      });
    }
    it(`${v}-sigstore: signature, statement and files check; Sigstore trust is reported as unchecked`, async () => {
      const r = await verifyGolden(`${v}-sigstore`);
      expect(r.status).toBe('incomplete');
      expect(r.checked.some((c) => c.startsWith('files: all 2 files match'))).toBe(true);
      expect(r.unchecked.join('\n')).toMatch(/Fulcio[\s\S]*transparency-log[\s\S]*identity/);
    });
  }

  it('v0.2.0-certificate verifies through the legacy PAE and v0.1 predicate', async () => {
    const r = await verifyGolden('v0.2.0-certificate');
    expect(r.status).toBe('verified');
    expect(r.legacy).toBe(true);
    expect(r.predicateType).toBe('https://model_signing/Digests/v0.1');
  });

  it('a golden checked against a changed copy names the file', async () => {
    const r = await verifyModel(join(GOLD, 'v1.1.0-elliptic-key'), readFileSync(join(GOLD, 'v1.0.1-elliptic-key', 'model.sig')), { publicKey, ignorePaths: ['ignore-me', 'model.sig'] });
    expect(r.status).toBe('verified');
    const other = await verifyModel(join(GOLD, 'v1.1.0-certificate'), readFileSync(join(GOLD, 'v1.1.0-elliptic-key', 'model.sig')), { publicKey, signaturePath: join(GOLD, 'v1.1.0-certificate', 'model.sig') });
    expect(other.status).toBe('failed');
    expect(other.diff?.modified).toEqual(['signme-1']);
  });
});

describe('OMS specification test vectors', () => {
  const vector = (p: string): Buffer => readFileSync(join(FIX, 'spec-vectors', p));
  const model = join(GOLD, 'v1.1.0-elliptic-key');
  for (const name of ['key', 'certificate', 'sigstore']) {
    it(`valid/${name}.bundle.json verifies against the model it signs`, async () => {
      // The keyless vector signs the files of the reference's certificate and sigstore goldens.
      const model = join(GOLD, name === 'sigstore' ? 'v1.1.0-sigstore' : 'v1.1.0-elliptic-key');
      const r = await verifyModel(model, vector(`valid/${name}.bundle.json`), { publicKey, trustAnchors, signaturePath: join(model, 'model.sig') });
      expect(r.reason).toBeUndefined();
      expect(['verified', 'incomplete']).toContain(r.status);
    });
  }
  for (const [file, why] of [
    ['empty', /the file is empty/],
    ['missing-envelope', /no dsseEnvelope/],
    ['missing-verification-material', /no verificationMaterial/],
    ['missing-tlog-entries', /at least one transparency-log entry/],
  ] as const) {
    it(`invalid/${file} is refused: ${why.source}`, async () => {
      await expect(verifyModel(model, vector(`invalid/${file}.bundle.json`), { publicKey, trustAnchors })).rejects.toMatchObject({ code: 'SIGN_BUNDLE_INVALID', message: expect.stringMatching(why) });
    });
  }
  it('invalid-payload/wrong-predicate fails: its signature does not verify', async () => {
    const r = await verifyModel(model, vector('invalid-payload/wrong-predicate.bundle.json'), { publicKey });
    expect(r.status).toBe('failed');
    expect(r.reason).toMatch(/signature does not verify/);
  });
});

describe("the reference's own statements, signed and verified end to end", () => {
  const { privateKey, publicKey: pub } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  for (const [fixture, payload] of [
    ['sample_model_folder', 'sample_model_folder_small_shards'],
    ['deep_model_folder', 'deep_model_folder_shard'],
    ['sample_model_file', 'sample_model_file_small_shards'],
    ['symlink_model_folder', 'symlink_model_folder'],
  ] as const) {
    it(`${payload}: sha256-sharded-N labels and float shard sizes verify against the rebuilt model`, async () => {
      const text = readFileSync(join(FIX, 'reference', 'payload', `${payload}.json`));
      const bundle = buildBundle(IN_TOTO_PAYLOAD_TYPE, text, signPae(IN_TOTO_PAYLOAD_TYPE, text, privateKey), { hint: keyHint(pub) });
      const model = buildReferenceModel(fixture, tempDir());
      const r = await verifyModel(model, JSON.stringify(bundle), { publicKey: pub });
      expect(r.reason).toBeUndefined();
      expect(r.status).toBe('verified');
      writeFileSync(join(model, fixture === 'sample_model_file' ? '' : 'extra'), 'x');
      expect((await verifyModel(model, JSON.stringify(bundle), { publicKey: pub })).status).toBe('failed');
    });
  }
});
