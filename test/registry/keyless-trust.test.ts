import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchEntries } from '../../src/audit/index.js';
import { addTrust, listTrust, registerModel } from '../../src/registry/index.js';
import { signModel } from '../../src/sign/index.js';
import { run } from '../support/cli.js';
import { describeWithService } from '../support/services.js';
import { openTestPostgres, openTestSqlite, type TestStore } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { makeChain } from '../support/x509.js';
import { withDeps } from './fixtures.js';

/*
 * A model signed keylessly by the reference signer (Sigstore public-good: Fulcio certificate, Rekor entry), and the
 * public-good trusted_root.json Palisade ships: registration verifies the chain, the log entry and the identity
 * fully offline.
 */
const GOLD = join(import.meta.dirname, '..', 'fixtures', 'sign', 'goldens', 'v1.1.0-sigstore');
const SHIPPED_ROOT = join(import.meta.dirname, '..', '..', 'trust', 'sigstore-public-good.json');
const identity = 'stefanb@us.ibm.com';
const issuer = 'https://sigstore.verify.ibm.com/oauth2';

const admin = { id: 'user:root', role: 'admin' as const };
const eve = { id: 'user:eve', role: 'ml-engineer' as const };

/** The golden model in a folder of its own (so a test may change it), with its signature beside it. */
function golden(): { dir: string; signature: { text: string; path: string } } {
  const dir = join(tempDir(), 'model');
  cpSync(GOLD, dir, { recursive: true });
  return { dir, signature: { text: readFileSync(join(dir, 'model.sig'), 'utf8'), path: join(dir, 'model.sig') } };
}

const keylessFlow = (open: () => Promise<TestStore>) => () =>
  withDeps(async (deps) => {
    const m = golden();
    let n = 0;
    const register = async (dir = m.dir) => (await registerModel(deps, eve, { path: dir, name: 'm', version: String(++n), signature: m.signature })).findings.signature;

    // Trusted by identity and issuer, against the shipped public-good root: verified.
    const t = await addTrust(deps, admin, 'stefan', { identity, issuer });
    expect(t).toMatchObject({ kind: 'identity', identity, issuer, fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(await listTrust(deps, eve)).toEqual([expect.objectContaining({ name: 'stefan', kind: 'identity', identity, issuer })]);
    expect(await register()).toEqual({ status: 'verified', signer: 'stefan' });
    await deps.log.flush();
    const [added] = await searchEntries(deps.store, { type: 'trust.added', limit: 1 });
    expect(added!.data).toMatchObject({ kind: 'identity', identity, issuer });

    // A changed file fails, whoever signed it.
    const tampered = golden();
    writeFileSync(join(tampered.dir, 'signme-1'), 'changed');
    expect(await register(tampered.dir)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/stefan: the model does not match its signature/) });
  }, open);

describe('keyless (Sigstore) trusted signers', () => {
  it('verify a keylessly signed model at registration, offline, against the shipped trust root (SQLite)', keylessFlow(openTestSqlite), 60_000);

  it('refuse another identity or issuer (matched exactly), and a trust root that does not anchor the certificate', () =>
    withDeps(async (deps) => {
      const m = golden();
      let n = 0;
      const register = async () => (await registerModel(deps, eve, { path: m.dir, name: 'm', version: String(++n), signature: m.signature })).findings.signature;
      await addTrust(deps, admin, 'someone', { identity: 'someone@us.ibm.com', issuer });
      await addTrust(deps, admin, 'prefix', { identity: 'stefanb@us.ibm.co', issuer });
      await addTrust(deps, admin, 'google', { identity, issuer: 'https://accounts.google.com' });
      // The same identity, but with a trust root whose Fulcio CA is a locally made CA: the chain does not verify.
      const root = JSON.parse(readFileSync(SHIPPED_ROOT, 'utf8'));
      const local = makeChain().root.cert.raw.toString('base64');
      for (const ca of root.certificateAuthorities) ca.certChain.certificates = [{ rawBytes: local }];
      await addTrust(deps, admin, 'other-root', { identity, issuer, trustedRoot: JSON.stringify(root) });
      const r = await register();
      expect(r?.status).toBe('failed');
      expect(r?.reason).toMatch(/someone: Sigstore verification failed/);
      expect(r?.reason).toMatch(/prefix: Sigstore verification failed/);
      expect(r?.reason).toMatch(/google: Sigstore verification failed.*issuer/);
      expect(r?.reason).toMatch(/other-root: Sigstore verification failed/);
    }));

  it('keeps key and certificate-root signers working beside keyless ones', () =>
    withDeps(async (deps) => {
      await addTrust(deps, admin, 'stefan', { identity, issuer });
      const { root, intermediate, leaf } = makeChain();
      await addTrust(deps, admin, 'corp-root', root.cert.toString());
      const dir = golden().dir;
      const { bundle } = await signModel(dir, { privateKey: leaf.key, certificates: [leaf.cert, intermediate.cert], ignorePaths: ['model.sig'] });
      const v = await registerModel(deps, eve, { path: dir, name: 'm', version: '1', signature: { text: JSON.stringify(bundle), path: join(dir, 'model.sig') } });
      expect(v.findings.signature).toEqual({ status: 'verified', signer: 'chain to corp-root' });
    }));

  it('refuses a malformed identity, issuer or trust root, naming the problem', () =>
    withDeps(async (deps) => {
      await expect(addTrust(deps, admin, 'a', { identity: 'has space@x', issuer })).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID', message: expect.stringMatching(/--identity/) });
      await expect(addTrust(deps, admin, 'a', { identity, issuer: 'accounts.google.com' })).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID', message: expect.stringMatching(/--issuer/) });
      await expect(addTrust(deps, admin, 'a', { identity, issuer, trustedRoot: '{not json' })).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID', message: expect.stringMatching(/not JSON/) });
      const root = JSON.parse(readFileSync(SHIPPED_ROOT, 'utf8'));
      await expect(addTrust(deps, admin, 'a', { identity, issuer, trustedRoot: JSON.stringify({ ...root, certificateAuthorities: [] }) })).rejects.toMatchObject({ message: expect.stringMatching(/names no certificate authority/) });
      await expect(addTrust(deps, admin, 'a', { identity, issuer, trustedRoot: JSON.stringify({ ...root, mediaType: 'text/plain' }) })).rejects.toMatchObject({ message: expect.stringMatching(/not a Sigstore trusted root/) });
      await expect(addTrust(deps, eve, 'a', { identity, issuer })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      expect(await listTrust(deps, admin)).toEqual([]);
    }));

  it('from the command line: trust add --identity --issuer [--trust-root], exit 2 on a bad combination', async () => {
    const d = tempDir();
    cpSync(GOLD, join(d, 'model'), { recursive: true });
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    const add = await run(['trust', 'add', '--name', 'stefan', '--identity', identity, '--issuer', issuer, '--trust-root', SHIPPED_ROOT, '--json'], { cwd: d });
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'stefan', kind: 'identity', identity, issuer });
    expect((await run(['trust', 'list'], { cwd: d })).stdout).toMatch(/^stefan {2}identity {2}stefanb@us\.ibm\.com \(issuer https:\/\/sigstore\.verify\.ibm\.com\/oauth2\) {2}sha256:/);
    const reg = await run(['model', 'register', 'model', '--name', 'm', '--version', '1', '--signature', 'model/model.sig'], { cwd: d });
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/signature: verified by stefan/);
    const alone = await run(['trust', 'add', '--name', 'x', '--identity', identity], { cwd: d });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--identity and --issuer go together/);
    writeFileSync(join(d, 'k.pub'), 'x');
    const both = await run(['trust', 'add', 'k.pub', '--name', 'x', '--identity', identity, '--issuer', issuer], { cwd: d });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either a PEM file, or --identity and --issuer/);
  }, 60_000);
});

await describeWithService('postgres', 'keyless (Sigstore) trusted signers on PostgreSQL', () => {
  it('verify a keylessly signed model at registration, offline, against the shipped trust root', keylessFlow(openTestPostgres), 60_000);
});
