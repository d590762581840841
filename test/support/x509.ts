import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';

/* A minimal X.509 v3 writer for tests: CA chains with chosen key usages and validity, signed ECDSA-SHA256. */

const len = (n: number): number[] => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...len(body.length)]), body]);
};
const seq = (...p: Buffer[]): Buffer => tlv(0x30, ...p);
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const enc = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) enc.unshift((v & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return tlv(0x06, Buffer.from(bytes));
}
const time = (d: Date): Buffer => tlv(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
const TRUE = tlv(0x01, Buffer.from([0xff]));
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [TRUE] : []), tlv(0x04, value));

export interface CertSpec {
  subject: string;
  /** Issuer certificate and key; omitted: self-signed. */
  issuer?: { cert: X509Certificate; key: KeyObject };
  ca?: boolean;
  /** KeyUsage first byte: 0x80 digitalSignature, 0x04 keyCertSign; omitted: no KeyUsage extension. */
  keyUsage?: number;
  codeSigning?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  curve?: string;
  key?: { privateKey: KeyObject; publicKey: KeyObject };
}

export interface Issued {
  cert: X509Certificate;
  key: KeyObject;
  publicKey: KeyObject;
}

let serial = 1;

export function makeCert(spec: CertSpec): Issued {
  const pair = spec.key ?? generateKeyPairSync('ec', { namedCurve: spec.curve ?? 'P-256' });
  const exts = [ext('2.5.29.19', true, seq(...(spec.ca === true ? [TRUE] : [])))];
  if (spec.keyUsage !== undefined) exts.push(ext('2.5.29.15', true, tlv(0x03, Buffer.from([0, spec.keyUsage]))));
  if (spec.codeSigning === true) exts.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))));
  const alg = seq(oid('1.2.840.10045.4.3.2'));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from([serial++ & 0x7f])),
    alg,
    spec.issuer === undefined ? name(spec.subject) : issuerName(spec.issuer.cert),
    seq(time(spec.notBefore ?? new Date('2025-01-01T00:00:00Z')), time(spec.notAfter ?? new Date('2045-01-01T00:00:00Z'))),
    name(spec.subject),
    pair.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...exts)),
  );
  const sig = sign('sha256', tbs, spec.issuer?.key ?? pair.privateKey);
  return { cert: new X509Certificate(seq(tbs, alg, tlv(0x03, Buffer.from([0]), sig))), key: pair.privateKey, publicKey: pair.publicKey };
}

/** The subject Name of a certificate this module made (its CN is the whole subject). */
const issuerName = (cert: X509Certificate): Buffer => name(cert.subject.replace(/^CN=/, ''));

/** A root, an intermediate and a code-signing leaf. */
export function makeChain(leafCurve = 'P-256'): { root: Issued; intermediate: Issued; leaf: Issued } {
  const root = makeCert({ subject: 'test root', ca: true, keyUsage: 0x04 });
  const intermediate = makeCert({ subject: 'test intermediate', ca: true, keyUsage: 0x04, issuer: root });
  const leaf = makeCert({ subject: 'model signer', keyUsage: 0x80, codeSigning: true, issuer: intermediate, curve: leafCurve });
  return { root, intermediate, leaf };
}
