import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/sign/index.js';
import { makeCert, makeChain } from '../support/x509.js';

const at = new Date('2030-01-01T00:00:00Z');

describe('verifyChain', () => {
  const { root, intermediate, leaf } = makeChain();

  it('accepts leaf → intermediate → trusted root, and an intermediate trusted directly', () => {
    expect(verifyChain(leaf.cert, [intermediate.cert], [root.cert], at)).toBeUndefined();
    expect(verifyChain(leaf.cert, [], [intermediate.cert], at)).toBeUndefined();
  });

  it('refuses a chain to another root, a missing intermediate, and times outside validity', () => {
    const other = makeCert({ subject: 'test root', ca: true, keyUsage: 0x04 });
    expect(verifyChain(leaf.cert, [intermediate.cert], [other.cert], at)).toMatch(/does not chain to a trusted certificate/);
    expect(verifyChain(leaf.cert, [], [root.cert], at)).toMatch(/does not chain/);
    expect(verifyChain(leaf.cert, [intermediate.cert], [root.cert], new Date('2050-01-01T00:00:00Z'))).toMatch(/is not valid at 2050/);
  });

  it('refuses leaves that may not sign code and issuers that are not CAs', () => {
    const noUsage = makeCert({ subject: 'plain', issuer: intermediate });
    expect(verifyChain(noUsage.cert, [intermediate.cert], [root.cert], at)).toMatch(/allows neither digital signatures/);
    const kuOnly = makeCert({ subject: 'ku only', keyUsage: 0x80, issuer: intermediate });
    expect(verifyChain(kuOnly.cert, [intermediate.cert], [root.cert], at)).toBeUndefined();
    const notCa = makeCert({ subject: 'not a ca', keyUsage: 0x80, issuer: root });
    const under = makeCert({ subject: 'under', codeSigning: true, issuer: notCa });
    expect(verifyChain(under.cert, [notCa.cert], [root.cert], at)).toMatch(/is not a CA certificate|does not chain/);
  });
});
