import { chmodSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { makeChain } from '../support/x509.js';

const GOLD = join(import.meta.dirname, '..', 'fixtures', 'sign', 'goldens');

function model(): string {
  const d = tempDir();
  const m = join(d, 'model');
  mkdirSync(join(m, 'sub'), { recursive: true });
  writeFileSync(join(m, 'config.json'), '{"layers": 2}');
  writeFileSync(join(m, 'weights.bin'), Buffer.alloc(100_000, 7));
  writeFileSync(join(m, 'sub', 'tokenizer.json'), '{}');
  return d;
}

async function keygen(cwd: string, curve = 'p256', out = 'k'): Promise<void> {
  const r = await run(['keygen', '--out', out, '--curve', curve, '--json'], { cwd });
  expect(r.code, r.stderr).toBe(0);
}

describe('palisade keygen', () => {
  it('writes PEM keys, the private one mode 0600, and never overwrites', async () => {
    const d = tempDir();
    const r = await run(['keygen', '--out', 'k', '--curve', 'p384', '--json'], { cwd: d });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ privateKey: 'k', publicKey: 'k.pub', curve: 'p384', hint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(statSync(join(d, 'k')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, 'k.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect((await run(['keygen', '--out', 'k'], { cwd: d })).code).toBe(2);
    expect((await run(['keygen', '--out', 'x', '--curve', 'ed25519'], { cwd: d })).stderr).toMatch(/--curve must be/);
    const nowhere = await run(['keygen', '--out', 'missing/dir/k'], { cwd: d });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/cannot write private key/);
  });
});

describe('palisade sign / verify', () => {
  for (const [curve, extra] of [
    ['p256', []],
    ['p384', ['--shard-size', '4096']],
    ['p521', ['--hash', 'blake2b']],
  ] as const) {
    it(`round trip: ${curve} ${extra.join(' ') || 'files'}`, async () => {
      const d = model();
      await keygen(d, curve);
      const s = await run(['sign', 'model', '--key', 'k', '--signature', 'model.sig', '--json', ...extra], { cwd: d });
      expect(s.code, s.stderr).toBe(0);
      const out = JSON.parse(s.stdout);
      expect(out).toMatchObject({ files: 3, bytes: 100_015, method: 'key', curve });
      const v = await run(['verify', 'model', '--signature', 'model.sig', '--key', 'k.pub', '--json'], { cwd: d });
      expect(v.code, v.stdout + v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ status: 'verified', rootDigest: out.rootDigest, files: 3 });
      const text = await run(['verify', 'model', '--key', 'k.pub'], { cwd: d });
      expect(text.stdout).toMatch(/^VERIFIED model \(key\): 3 files/);
    });
  }

  it('a signature inside the model is left out and recorded as ignored', async () => {
    const d = model();
    await keygen(d);
    const s = await run(['sign', 'model', '--key', 'k', '--signature', 'model/model.sig', '--ignore', 'sub', '--json'], { cwd: d });
    expect(JSON.parse(s.stdout)).toMatchObject({ files: 2, ignorePaths: ['.git', '.gitattributes', '.github', '.gitignore', 'model.sig', 'sub'] });
    writeFileSync(join(d, 'model', 'sub', 'new'), 'ignored too');
    expect((await run(['verify', 'model', '--signature', 'model/model.sig', '--key', 'k.pub'], { cwd: d })).code).toBe(0);
  });

  it('certificate method: signs with a leaf and chain, verifies to the root; another root fails', async () => {
    const d = model();
    const { root, intermediate, leaf } = makeChain('P-384');
    writeFileSync(join(d, 'leaf.key'), leaf.key.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(d, 'leaf.pem'), leaf.cert.toString());
    writeFileSync(join(d, 'chain.pem'), intermediate.cert.toString());
    writeFileSync(join(d, 'root.pem'), root.cert.toString());
    const s = await run(['sign', 'model', '--key', 'leaf.key', '--method', 'certificate', '--certificate', 'leaf.pem', '--chain', 'chain.pem'], { cwd: d });
    expect(s.code, s.stderr).toBe(0);
    const v = await run(['verify', 'model', '--certificate-chain', 'root.pem', '--json'], { cwd: d });
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).checked.join('\n')).toMatch(/chain to a trusted certificate verified at/);
    expect((await run(['verify', 'model', '--certificate-chain', 'root.pem', '--at', '2100-01-01T00:00:00Z'], { cwd: d })).stdout).toMatch(/FAILED.*not valid at 2100/);
    const other = makeChain();
    writeFileSync(join(d, 'other.pem'), other.root.cert.toString());
    expect((await run(['verify', 'model', '--certificate-chain', 'other.pem'], { cwd: d })).code).toBe(1);
    expect((await run(['verify', 'model', '--key', 'leaf.pem'], { cwd: d })).code).toBe(2);
    const wrong = await run(['sign', 'model', '--key', 'leaf.key', '--method', 'certificate', '--certificate', 'root.pem'], { cwd: d });
    expect(wrong.stderr).toMatch(/is not for this private key/);
  });

  describe('tampering is reported by file, exit 1', () => {
    const signed = async (extra: string[] = []): Promise<string> => {
      const d = model();
      await keygen(d);
      expect((await run(['sign', 'model', '--key', 'k', ...extra], { cwd: d })).code).toBe(0);
      return d;
    };
    const verify = (d: string): ReturnType<typeof run> => run(['verify', 'model', '--key', 'k.pub', '--json'], { cwd: d });
    for (const [what, change, want] of [
      ['a flipped byte', (m: string) => writeFileSync(join(m, 'weights.bin'), Buffer.concat([Buffer.alloc(99_999, 7), Buffer.from([8])])), { modified: ['weights.bin'], added: [], removed: [] }],
      ['a rename', (m: string) => renameSync(join(m, 'config.json'), join(m, 'config2.json')), { modified: [], added: ['config2.json'], removed: ['config.json'] }],
      ['an added file', (m: string) => writeFileSync(join(m, 'sub', 'evil.py'), 'import os'), { modified: [], added: ['sub/evil.py'], removed: [] }],
      ['a deleted file', (m: string) => unlinkSync(join(m, 'sub', 'tokenizer.json')), { modified: [], added: [], removed: ['sub/tokenizer.json'] }],
    ] as const) {
      it(`${what}`, async () => {
        for (const extra of [[], ['--shard-size', '30000']]) {
          const d = await signed(extra);
          change(join(d, 'model'));
          const r = await verify(d);
          expect(r.code).toBe(1);
          expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', diff: want });
        }
      });
    }
    it('a file replaced by a symbolic link (same content)', async () => {
      const d = await signed();
      writeFileSync(join(d, 'elsewhere'), '{}');
      rmSync(join(d, 'model', 'sub', 'tokenizer.json'));
      symlinkSync(join(d, 'elsewhere'), join(d, 'model', 'sub', 'tokenizer.json'));
      const r = await verify(d);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).reason).toMatch(/sub\/tokenizer.json is a symbolic link/);
    });
    it('an edited statement, a wrong key, a wrong-curve key, a wrong hint', async () => {
      const d = await signed();
      const sig = JSON.parse(readFileSync(join(d, 'model.sig'), 'utf8'));
      const payload = Buffer.from(sig.dsseEnvelope.payload, 'base64').toString().replace(/"name": "config.json"/, '"name": "config.jsox"');
      writeFileSync(join(d, 'edited.sig'), JSON.stringify({ ...sig, dsseEnvelope: { ...sig.dsseEnvelope, payload: Buffer.from(payload).toString('base64') } }));
      expect((await run(['verify', 'model', '--key', 'k.pub', '--signature', 'edited.sig'], { cwd: d })).stdout).toMatch(/DSSE signature does not verify/);
      await keygen(d, 'p256', 'other');
      expect((await run(['verify', 'model', '--key', 'other.pub'], { cwd: d })).stdout).toMatch(/key hint .* names another key/);
      await keygen(d, 'p384', 'p384');
      expect((await run(['verify', 'model', '--key', 'p384.pub'], { cwd: d })).code).toBe(1);
      writeFileSync(join(d, 'nohint.sig'), JSON.stringify({ ...sig, verificationMaterial: { publicKey: { hint: '0'.repeat(64) }, tlogEntries: [] } }));
      expect((await run(['verify', 'model', '--key', 'k.pub', '--signature', 'nohint.sig'], { cwd: d })).stdout).toMatch(/names another key/);
    });
  });

  it('unusable input exits 2 with a reason', async () => {
    const d = model();
    await keygen(d);
    writeFileSync(join(d, 'k1.pem'), generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    chmodSync(join(d, 'k'), 0o644);
    const loose = await run(['sign', 'model', '--key', 'k', '--signature', 'nowhere/model.sig'], { cwd: d });
    expect(loose.stderr).toMatch(/private key k can be read by other users/);
    expect(loose.stderr).toMatch(/cannot write signature/);
    expect(loose.code).toBe(2);
    const bad = await run(['sign', 'model', '--key', 'k1.pem'], { cwd: d });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/secp256k1 cannot make OMS signatures/);
    expect((await run(['sign', 'model', '--key', 'k.pub'], { cwd: d })).stderr).toMatch(/not an unencrypted PEM private key/);
    expect((await run(['sign', 'missing', '--key', 'k'], { cwd: d })).code).toBe(2);
    expect((await run(['sign', 'model', '--key', 'k', '--shard-size', '0'], { cwd: d })).code).toBe(2);
    writeFileSync(join(d, 'garbage.sig'), '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}');
    const g = await run(['verify', 'model', '--key', 'k.pub', '--signature', 'garbage.sig'], { cwd: d });
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/no verificationMaterial/);
    expect((await run(['verify', 'model', '--key', 'k.pub', '--signature', 'absent.sig'], { cwd: d })).stderr).toMatch(/cannot read signature/);
  });

  it('verifies the reference goldens from the command line', async () => {
    const keys = join(GOLD, 'keys', 'certificate');
    const k = await run(['verify', 'v1.1.0-elliptic-key', '--signature', 'v1.1.0-elliptic-key/model.sig', '--key', join(keys, 'signing-key-pub.pem'), '--no-record'], { cwd: GOLD });
    expect(k.code, k.stdout).toBe(0);
    const c = await run(['verify', 'v1.0.1-certificate', '--signature', 'v1.0.1-certificate/model.sig', '--ignore', 'ignore-me', '--certificate-chain', join(keys, 'ca-cert.pem'), '--no-record'], { cwd: GOLD });
    expect(c.code, c.stdout).toBe(0);
    const s = await run(['verify', 'v1.1.0-sigstore', '--signature', 'v1.1.0-sigstore/model.sig', '--no-record'], { cwd: GOLD });
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/NOT FULLY VERIFIED[\s\S]*not checked: that the certificate was issued by Sigstore/);
  });

  it('records sign and verify in the audit log when a home exists', async () => {
    const d = model();
    expect((await run(['init'], { cwd: d })).code).toBe(0);
    await keygen(d);
    expect((await run(['sign', 'model', '--key', 'k'], { cwd: d })).code).toBe(0);
    writeFileSync(join(d, 'model', 'config.json'), '{}');
    expect((await run(['verify', 'model', '--key', 'k.pub'], { cwd: d })).code).toBe(1);
    const tail = JSON.parse((await run(['audit', 'tail', '--json'], { cwd: d })).stdout) as { type: string; subject: string; data: Record<string, unknown> }[];
    expect(tail.map((e) => e.type)).toEqual(['user.created', 'model.signed', 'model.verified']); // the first admin, from init
    expect(tail[2]).toMatchObject({ subject: 'path:model', data: { status: 'failed', modified: 1 } });
  });
});
