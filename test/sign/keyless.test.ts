import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel } from '../../src/sign/index.js';
import { run } from '../support/cli.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'sign');
const GOLD = join(FIX, 'goldens');
const ROOT_FILE = join(FIX, 'trusted-root', 'public-good.json');
const trustedRoot = JSON.parse(readFileSync(ROOT_FILE, 'utf8'));
const identity = 'stefanb@us.ibm.com';
const issuer = 'https://sigstore.verify.ibm.com/oauth2';

const verifyGolden = (v: string, policy: { trustedRoot: unknown; identity: string; issuer: string }, bundle?: Buffer | string) => {
  const dir = join(GOLD, `${v}-sigstore`);
  return verifyModel(dir, bundle ?? readFileSync(join(dir, 'model.sig')), { keyless: policy, signaturePath: join(dir, 'model.sig'), ignorePaths: v === 'v1.0.1' ? ['ignore-me'] : [] });
};

describe('keyless (Sigstore) verification with a trust root, offline', () => {
  for (const v of ['v0.3.1', 'v1.0.0', 'v1.0.1', 'v1.1.0']) {
    it(`${v}-sigstore verifies fully against the public-good trust root`, async () => {
      const r = await verifyGolden(v, { trustedRoot, identity, issuer });
      expect(r.reason).toBeUndefined();
      expect(r.status).toBe('verified');
      expect(r.unchecked).toEqual([]);
    });
  }

  it('refuses another identity (matched exactly, not as a pattern) or issuer', async () => {
    expect((await verifyGolden('v1.1.0', { trustedRoot, identity: 'someone@us.ibm.com', issuer })).reason).toMatch(/UNTRUSTED_SIGNER/);
    expect((await verifyGolden('v1.1.0', { trustedRoot, identity: 'stefanb@us.ibm.co', issuer })).status).toBe('failed');
    expect((await verifyGolden('v1.1.0', { trustedRoot, identity: 'stefanb@us.ibm.com.*', issuer })).status).toBe('failed');
    expect((await verifyGolden('v1.1.0', { trustedRoot, identity, issuer: 'https://accounts.google.com' })).reason).toMatch(/issuer/);
  });

  it('fails when the trust root lacks the CA, or the envelope was swapped', async () => {
    const noCa = { ...trustedRoot, certificateAuthorities: [] };
    expect((await verifyGolden('v1.1.0', { trustedRoot: noCa, identity, issuer })).status).toBe('failed');
    const b = JSON.parse(readFileSync(join(GOLD, 'v1.1.0-sigstore', 'model.sig'), 'utf8'));
    const other = JSON.parse(readFileSync(join(GOLD, 'v1.0.1-sigstore', 'model.sig'), 'utf8'));
    b.dsseEnvelope = other.dsseEnvelope; // a valid envelope, but not the one this log entry and certificate cover
    expect((await verifyGolden('v1.1.0', { trustedRoot, identity, issuer }, JSON.stringify(b))).status).toBe('failed');
    await expect(verifyGolden('v1.1.0', { trustedRoot: { nope: 1 }, identity, issuer })).rejects.toMatchObject({ code: 'SIGN_TRUST_ROOT_INVALID' });
  });

  it('from the command line: exit 0 with --trust-root/--identity/--issuer, 2 when they come apart', async () => {
    const ok = await run(['verify', 'v1.1.0-sigstore', '--signature', 'v1.1.0-sigstore/model.sig', '--trust-root', ROOT_FILE, '--identity', identity, '--issuer', issuer, '--no-record'], { cwd: GOLD });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^VERIFIED v1.1.0-sigstore \(sigstore\)/);
    const partial = await run(['verify', 'v1.1.0-sigstore', '--signature', 'v1.1.0-sigstore/model.sig', '--trust-root', ROOT_FILE, '--no-record'], { cwd: GOLD });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/go together/);
  });
});
