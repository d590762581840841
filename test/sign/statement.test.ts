import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBundle, IN_TOTO_PAYLOAD_TYPE, keyHint, parseBundle, pythonBytesRepr, readStatement, signPae, verifyPae } from '../../src/sign/index.js';
import { isBug } from '../support/fuzz.js';

const PAYLOADS = join(import.meta.dirname, '..', 'fixtures', 'sign', 'reference', 'payload');

describe('readStatement', () => {
  for (const f of readdirSync(PAYLOADS)) {
    it(`accepts the reference statement ${f} (shard algorithms and float shard sizes normalized)`, () => {
      const r = readStatement(readFileSync(join(PAYLOADS, f)));
      expect(r.ok ? r.manifest.resources.length : r.reason).toBeTypeOf('number');
    });
  }

  const base = (): Record<string, any> => JSON.parse(readFileSync(join(PAYLOADS, 'sample_model_folder.json'), 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any -- test mutates arbitrary fields
  const reason = (st: unknown): string => {
    const r = readStatement(Buffer.from(JSON.stringify(st)));
    return r.ok ? 'accepted' : r.reason;
  };
  it('refuses each kind of bad statement with a precise reason', () => {
    expect(reason({ ...base(), _type: 'x' })).toMatch(/not an in-toto Statement v1/);
    expect(reason({ ...base(), predicateType: 'https://slsa.dev/provenance/v1' })).toMatch(/not an OMS model signature/);
    const s1 = base();
    s1.subject[0].digest.sha256 = '00'.repeat(32);
    expect(reason(s1)).toMatch(/is not the root digest/);
    const s2 = base();
    s2.predicate.serialization.extra = 1;
    expect(reason(s2)).toMatch(/OMS schema.*'extra'/);
    const s3 = base();
    s3.predicate.resources[0].algorithm = 'blake2b';
    expect(reason(s3)).toMatch(/says algorithm blake2b but hash_type is sha256/);
    const s4 = base();
    s4.predicate.resources[1] = s4.predicate.resources[0];
    expect(reason(s4)).toMatch(/listed twice|root digest/);
    const s5 = base();
    s5.predicate.serialization.method = 'shards';
    expect(reason(s5)).toMatch(/shard_size/);
    const s6 = base();
    s6.predicate.serialization.ignore_paths = ['../etc'];
    expect(reason(s6)).toMatch(/outside the model/);
    expect(reason([1])).toMatch(/not a JSON object/);
    expect(readStatement(Buffer.from('{')).ok).toBe(false);
  });
});

describe('DSSE', () => {
  it('signs with the curve hash and verifies; a flipped byte fails', () => {
    for (const namedCurve of ['P-256', 'P-384', 'P-521']) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      const body = Buffer.from('{"a":1}');
      const sig = signPae(IN_TOTO_PAYLOAD_TYPE, body, privateKey);
      expect(verifyPae(IN_TOTO_PAYLOAD_TYPE, body, sig, publicKey)).toBe(true);
      expect(verifyPae(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":2}'), sig, publicKey)).toBe(false);
      expect(verifyPae(IN_TOTO_PAYLOAD_TYPE, body, Buffer.from('garbage'), publicKey)).toBe(false);
    }
  });

  it("rebuilds Python's repr(bytes)", () => {
    expect(pythonBytesRepr(Buffer.from('a\'b\n\\\x00\xff', 'latin1'))).toBe('b"a\'b\\n\\\\\\x00\\xff"');
    expect(pythonBytesRepr(Buffer.from('\'"\t\r'))).toBe("b'\\'\"\\t\\r'");
  });

  it('refuses keys on curves OMS does not list', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(() => keyHint(publicKey)).toThrow(/ECDSA P-256, P-384 or P-521/);
    const ed = generateKeyPairSync('ed25519');
    expect(() => keyHint(ed.publicKey)).toThrow(/an ed25519 key cannot make OMS/);
  });
});

describe('parseBundle (hostile input)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = readFileSync(join(PAYLOADS, 'sample_model_folder.json'));
  const good = JSON.stringify(buildBundle(IN_TOTO_PAYLOAD_TYPE, payload, signPae(IN_TOTO_PAYLOAD_TYPE, payload, privateKey), { hint: keyHint(publicKey) }));

  it('reads what buildBundle writes', () => {
    const b = parseBundle(good);
    expect(b.method).toBe('key');
    expect(b.keyHint).toBe(keyHint(publicKey));
    expect(b.payload.equals(payload)).toBe(true);
  });

  it('refuses malformed bundles with reasons', () => {
    const j = JSON.parse(good);
    const msg = (v: unknown): string => {
      try {
        parseBundle(typeof v === 'string' ? v : JSON.stringify(v));
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(msg('not json')).toMatch(/not JSON/);
    expect(msg({ ...j, mediaType: 'application/json' })).toMatch(/mediaType/);
    expect(msg({ ...j, dsseEnvelope: { ...j.dsseEnvelope, signatures: [] } })).toMatch(/exactly one signature/);
    expect(msg({ ...j, dsseEnvelope: { ...j.dsseEnvelope, payload: 'a!b' } })).toMatch(/payload is not base64/);
    expect(msg({ ...j, verificationMaterial: { publicKey: { hint: 'xyz' } } })).toMatch(/hint is not a hex SHA-256/);
    expect(msg({ ...j, verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: 'AAAA' }] } } })).toMatch(/certificate 0 is not a DER X.509/);
    expect(msg({ ...j, extra: true })).toMatch(/schema.*'extra'/);
    expect(msg({ ...j, messageSignature: {}, dsseEnvelope: undefined })).toMatch(/messageSignature/);
  });

  it('never crashes on mutated bundles: a SignError or a parse', () => {
    fc.assert(
      fc.property(fc.nat({ max: good.length - 1 }), fc.string({ maxLength: 8 }), fc.nat({ max: 8 }), (at, insert, cut) => {
        const text = good.slice(0, at) + insert + good.slice(at + cut);
        try {
          parseBundle(text);
        } catch (err) {
          if (isBug(err)) throw err;
          expect((err as { code?: string }).code).toBe('SIGN_BUNDLE_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never crashes reading mutated statements', () => {
    const text = payload.toString();
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.string({ maxLength: 6 }), fc.nat({ max: 6 }), (at, insert, cut) => {
        readStatement(Buffer.from(text.slice(0, at) + insert + text.slice(at + cut)));
      }),
      { numRuns: 500 },
    );
  });
});
