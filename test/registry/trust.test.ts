import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addTrust, listTrust, registerModel, removeTrust } from '../../src/registry/index.js';
import { signModel } from '../../src/sign/index.js';
import { benignPickle } from '../support/pickle-asm.js';
import { tempDir } from '../support/tmp.js';
import { makeChain } from '../support/x509.js';
import { signingKeys, withDeps } from './fixtures.js';

const admin = { id: 'user:root', role: 'admin' as const };
const eve = { id: 'user:eve', role: 'ml-engineer' as const };

describe('trusted signers', () => {
  it('accepts a certificate-method signature that chains to a trusted root, and not once the root is removed', () =>
    withDeps(async (deps) => {
      const { root, intermediate, leaf } = makeChain();
      const dir = join(tempDir(), 'm');
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.pkl'), benignPickle());
      const { bundle } = await signModel(dir, { privateKey: leaf.key, certificates: [leaf.cert, intermediate.cert] });
      const signature = { text: JSON.stringify(bundle), path: join(dir, '..', 'm.sig') };
      expect(await addTrust(deps, admin, 'corp-root', root.cert.toString())).toMatchObject({ kind: 'root', fingerprint: root.cert.fingerprint256 });
      const v = await registerModel(deps, eve, { path: dir, name: 'm', version: '1', signature });
      expect(v.findings.signature).toEqual({ status: 'verified', signer: 'chain to corp-root' });
      await removeTrust(deps, admin, 'corp-root');
      const w = await registerModel(deps, eve, { path: dir, name: 'm', version: '2', signature });
      expect(w.findings.signature).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no trusted signers/) });
    }));

  it('accepts keys, refuses leaf certificates, duplicates and junk, and only admins manage it', () =>
    withDeps(async (deps) => {
      const { leaf } = makeChain();
      await addTrust(deps, admin, 'release', signingKeys().publicPem);
      await expect(addTrust(deps, admin, 'release', signingKeys().publicPem)).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID' });
      await expect(addTrust(deps, admin, 'leaf', leaf.cert.toString())).rejects.toThrow(/not a CA certificate/);
      await expect(addTrust(deps, eve, 'mine', signingKeys().publicPem)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      await expect(removeTrust(deps, admin, 'nobody')).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID' });
      expect((await listTrust(deps, eve)).map((s) => s.name)).toEqual(['release']);
      await fc.assert(
        fc.asyncProperty(fc.string({ maxLength: 400 }), async (pem) => {
          await expect(addTrust(deps, admin, 'fuzz', `-----BEGIN PUBLIC KEY-----\n${pem}\n-----END PUBLIC KEY-----\n`)).rejects.toMatchObject({ code: 'REGISTRY_TRUST_INVALID' });
        }),
        { numRuns: 50 },
      );
    }));
});
