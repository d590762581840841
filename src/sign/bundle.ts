import { X509Certificate, type KeyObject } from 'node:crypto';
import { IN_TOTO_PAYLOAD_TYPE, signPae } from './dsse.js';
import { SignError } from './errors.js';
import { schemaProblem } from './schema-check.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Largest signature file read (a statement for a million shards is ~150 MB; real ones are kilobytes). */
export const MAX_BUNDLE_BYTES = 64 << 20;
const MAX_CERTIFICATES = 10;

export type Method = 'key' | 'certificate' | 'sigstore';

/** A bundle that passed the structural checks: what verification needs, decoded. */
export interface ParsedBundle {
  method: Method;
  payloadType: string;
  payload: Buffer;
  signature: Buffer;
  /** `key`: the bundle's key hint (v1.1+), or the key bytes older bundles carried. */
  keyHint?: string;
  keyRawBytes?: Buffer;
  /** `certificate`: leaf first; `sigstore`: the one Fulcio leaf. */
  certificates: X509Certificate[];
  /** `sigstore` only: transparency-log entries and timestamps, kept as JSON for a Sigstore verifier. */
  tlogEntries: number;
  timestamps: number;
  /** The bundle as parsed. */
  json: Record<string, unknown>;
}

const bad = (why: string): SignError => new SignError('SIGN_BUNDLE_INVALID', `the signature file is not a usable OMS bundle: ${why}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strict base64 (standard alphabet, padding optional): `Buffer.from` would silently skip stray characters. */
function b64(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) throw bad(`${field} is not base64`);
  return Buffer.from(value, 'base64');
}

/**
 * Parses a Sigstore bundle holding an OMS signature, refusing anything malformed with the precise reason: not JSON,
 * too large, the wrong media type, no DSSE envelope, no verification material, a keyless certificate without a
 * transparency-log entry, more or fewer than one signature, bad base64, certificates that do not parse. The rest of
 * the shape is checked against the OMS bundle schema. Signatures are not checked here.
 */
export function parseBundle(text: Buffer | string): ParsedBundle {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size === 0) throw bad('the file is empty');
  if (size > MAX_BUNDLE_BYTES) throw bad(`it is ${size} bytes, more than the ${MAX_BUNDLE_BYTES} accepted`);
  let json: unknown;
  try {
    json = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  } catch (err) {
    throw bad(`it is not JSON (${(err as Error).message})`);
  }
  if (!isObject(json)) throw bad('it is not a JSON object');
  if (typeof json.mediaType !== 'string' || !json.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) throw bad(`mediaType ${JSON.stringify(json.mediaType)} is not a Sigstore bundle's`);
  const vm = json.verificationMaterial;
  if (!isObject(vm)) throw bad('it has no verificationMaterial (the key, certificate chain or certificate the signature is checked with)');
  const env = json.dsseEnvelope;
  if (!isObject(env)) throw bad(json.messageSignature === undefined ? 'it has no dsseEnvelope (OMS signatures are DSSE envelopes)' : 'it holds a messageSignature, not a DSSE envelope: it is not an OMS model signature');
  const method: Method | undefined = isObject(vm.publicKey) ? 'key' : isObject(vm.x509CertificateChain) ? 'certificate' : isObject(vm.certificate) ? 'sigstore' : undefined;
  if (method === undefined) throw bad('verificationMaterial holds neither publicKey, x509CertificateChain nor certificate');
  const tlog = vm.tlogEntries;
  if (tlog !== undefined && !Array.isArray(tlog)) throw bad('verificationMaterial.tlogEntries is not a list');
  if (method === 'sigstore' && (tlog === undefined || tlog.length === 0)) throw bad('a keyless (Sigstore certificate) bundle must carry at least one transparency-log entry in tlogEntries');
  if (!Array.isArray(env.signatures) || env.signatures.length !== 1) throw bad(`dsseEnvelope must hold exactly one signature, not ${Array.isArray(env.signatures) ? env.signatures.length : 'none'}`);
  const problem = schemaProblem('bundle', json);
  if (problem !== undefined) throw bad(`it does not conform to the OMS bundle schema: ${problem}`);

  const sig = env.signatures[0] as Record<string, unknown>;
  const parsed: ParsedBundle = {
    method,
    payloadType: env.payloadType as string,
    payload: b64(env.payload, 'dsseEnvelope.payload'),
    signature: b64(sig.sig, 'the signature'),
    certificates: [],
    tlogEntries: tlog?.length ?? 0,
    timestamps: Array.isArray((vm.timestampVerificationData as { rfc3161Timestamps?: unknown[] } | undefined)?.rfc3161Timestamps) ? (vm.timestampVerificationData as { rfc3161Timestamps: unknown[] }).rfc3161Timestamps.length : 0,
    json,
  };
  if (method === 'key') {
    const pk = vm.publicKey as Record<string, unknown>;
    if (typeof pk.hint === 'string') {
      if (!/^[0-9a-f]{64}$/.test(pk.hint)) throw bad('publicKey.hint is not a hex SHA-256');
      parsed.keyHint = pk.hint;
    }
    if (pk.rawBytes !== undefined) parsed.keyRawBytes = b64(pk.rawBytes, 'publicKey.rawBytes');
  } else {
    const list = method === 'certificate' ? ((vm.x509CertificateChain as { certificates: { rawBytes: unknown }[] }).certificates) : [vm.certificate as { rawBytes: unknown }];
    if (list.length > MAX_CERTIFICATES) throw bad(`the certificate chain has ${list.length} certificates, more than the ${MAX_CERTIFICATES} accepted`);
    parsed.certificates = list.map((c, i) => {
      try {
        return new X509Certificate(b64(c.rawBytes, `certificate ${i}`));
      } catch (err) {
        if (err instanceof SignError) throw err;
        throw bad(`certificate ${i} is not a DER X.509 certificate (${(err as Error).message})`);
      }
    });
  }
  return parsed;
}

/** Assembles a v0.3 bundle for the `key` or `certificate` method, in the reference's field layout. */
export function buildBundle(payloadType: string, payload: Buffer, signature: Buffer, material: { hint: string } | { chain: X509Certificate[] }): object {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: 'hint' in material ? { publicKey: { hint: material.hint }, tlogEntries: [] } : { x509CertificateChain: { certificates: material.chain.map((c) => ({ rawBytes: c.raw.toString('base64') })) }, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64'), keyid: '' }] },
  };
}

/** Signs an in-toto statement (pretty JSON, as the reference writes it) into a v0.3 bundle. */
export function signStatement(statement: object, privateKey: KeyObject, material: { hint: string } | { chain: X509Certificate[] }): object {
  const payload = Buffer.from(JSON.stringify(statement, null, 2));
  return buildBundle(IN_TOTO_PAYLOAD_TYPE, payload, signPae(IN_TOTO_PAYLOAD_TYPE, payload, privateKey), material);
}
