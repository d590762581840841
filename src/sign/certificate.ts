import { X509Certificate } from 'node:crypto';
import { keyUsageByte } from './der.js';
import { SignError } from './errors.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const MAX_DEPTH = 8;

/** Reads every certificate from PEM text (one file may hold a chain). */
export function certificatesFromPem(text: string, what: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SignError('SIGN_CERTIFICATE_INVALID', `${what} holds no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new SignError('SIGN_CERTIFICATE_INVALID', `certificate ${i + 1} in ${what} does not parse: ${(err as Error).message}`, { cause: err });
    }
  });
}

const validAt = (c: X509Certificate, at: Date): boolean => new Date(c.validFrom).getTime() <= at.getTime() && at.getTime() <= new Date(c.validTo).getTime();
const issued = (child: X509Certificate, parent: X509Certificate): boolean => {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
};
const name = (c: X509Certificate): string => c.subject.replace(/\n/g, ', ');

/**
 * Verifies that `leaf` chains to one of `anchors` through `intermediates` (the bundle's own certificates), every
 * certificate valid at `at`, every issuer a CA, and that the leaf may sign code: KeyUsage digitalSignature or
 * extended key usage codeSigning (as the reference requires). Returns undefined when it does, else why not.
 *
 * Trust anchors are whatever the caller passes (a root, or an intermediate it trusts directly). The time is the
 * caller's: a key-signed bundle carries no trusted timestamp, so the CLI checks at the leaf's notBefore by default,
 * as the reference does, which means an expired certificate still verifies; pass the present time to refuse it.
 */
export function verifyChain(leaf: X509Certificate, intermediates: readonly X509Certificate[], anchors: readonly X509Certificate[], at: Date): string | undefined {
  const eku = leaf.keyUsage ?? [];
  const ku = keyUsageByte(leaf.raw);
  if (!eku.includes(CODE_SIGNING) && (ku === undefined || (ku & 0x80) === 0)) return `the signing certificate (${name(leaf)}) allows neither digital signatures (KeyUsage) nor code signing (extended key usage)`;
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (!validAt(current, at)) return `certificate ${name(current)} is not valid at ${at.toISOString()} (valid ${current.validFrom} to ${current.validTo})`;
    if (anchors.some((a) => a.raw.equals(current.raw))) return undefined;
    const anchor = anchors.find((a) => issued(current, a));
    if (anchor !== undefined) {
      if (!anchor.ca) return `trusted certificate ${name(anchor)} is not a CA certificate`;
      return validAt(anchor, at) ? undefined : `trusted certificate ${name(anchor)} is not valid at ${at.toISOString()}`;
    }
    const next = intermediates.find((c) => c !== current && issued(current, c));
    if (next === undefined) return `certificate ${name(current)} (issuer ${current.issuer.replace(/\n/g, ', ')}) does not chain to a trusted certificate`;
    if (!next.ca) return `certificate ${name(next)} issued another certificate but is not a CA certificate`;
    current = next;
  }
  return `the certificate chain is longer than ${MAX_DEPTH}`;
}
