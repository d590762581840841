import type { KeyObject, X509Certificate } from 'node:crypto';
import { basename } from 'node:path';
import { diffResources, HashingError, isClean, serializeModel, type HashingErrorCode, type ManifestDiff, type SerializeOptions } from '../hashing/index.js';
import { parseBundle, type Method, type ParsedBundle } from './bundle.js';
import { verifyChain } from './certificate.js';
import { IN_TOTO_PAYLOAD_TYPE, verifyPae } from './dsse.js';
import { SignError } from './errors.js';
import { keyHint, publicKeyFrom, sameKey } from './keys.js';
import { verifyKeyless, type KeylessPolicy } from './keyless.js';
import { LEGACY_PREDICATE, readStatement, type SignedManifest } from './statement.js';

export interface VerifyOptions extends Pick<SerializeOptions, 'threads' | 'onListed' | 'onBytes'> {
  /** `key` bundles: the signer's public key. */
  publicKey?: KeyObject;
  /** `certificate` bundles: the certificates trusted to anchor the chain. */
  trustAnchors?: readonly X509Certificate[];
  /** When the certificate chain must be valid (default: the leaf's notBefore, as the reference does). */
  at?: Date;
  /** The signature file, left out of the model when it lies inside it. */
  signaturePath?: string;
  /** Further paths to leave out, on top of those the signature records. */
  ignorePaths?: readonly string[];
  /** Keyless (Sigstore) bundles: the trust root and the signer to require; without it they are checked partly. */
  keyless?: KeylessPolicy;
}

const TAMPER_CODES = new Set<HashingErrorCode>(['HASHING_SYMLINK_REFUSED', 'HASHING_FILE_UNSUPPORTED', 'HASHING_NAME_INVALID']);

export type VerifyStatus = 'verified' | 'failed' | 'incomplete';

/** What verification found, step by step; `status` is the verdict. */
export interface VerifyReport {
  status: VerifyStatus;
  method: Method;
  /** Why it failed, when it did. */
  reason?: string;
  predicateType?: string;
  /** Which OMS form was read: the v1.0 predicate, or the legacy v0.1 one (legacy PAE). */
  legacy: boolean;
  rootDigest?: string;
  /** Checks that passed, in order. */
  checked: string[];
  /** What could not be checked (keyless bundles without a trust root). */
  unchecked: string[];
  /** Files whose content differs from the signature. */
  diff?: ManifestDiff;
  files?: number;
  bytes?: number;
}

/**
 * Verifies an OMS signature over a model on disk (spec §8): the bundle's shape, the DSSE signature (hash by curve;
 * the v0.2 legacy PAE accepted for the v0.1 predicate only), the key hint or certificate chain, the statement
 * (schema, root digest), then every file, re-serialized with the signed parameters. Input that cannot be used
 * throws SignError; a signature that does not hold returns `status: 'failed'` with the reason.
 */
export async function verifyModel(target: string, bundleText: Buffer | string, options: VerifyOptions): Promise<VerifyReport> {
  const b = parseBundle(bundleText);
  const report: VerifyReport = { status: 'failed', method: b.method, legacy: false, checked: ['bundle: well-formed OMS bundle'], unchecked: [] };
  const failed = (reason: string): VerifyReport => ({ ...report, status: 'failed', reason });
  if (b.payloadType !== IN_TOTO_PAYLOAD_TYPE) return failed(`payloadType ${b.payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}`);

  const signer = signingKey(b, options, report);
  if (typeof signer === 'string') return failed(signer);
  if (b.method === 'sigstore' && options.keyless !== undefined) {
    const problem = await verifyKeyless(b.json, options.keyless);
    if (problem !== undefined) return failed(problem);
    report.unchecked = [];
    report.checked.push(`sigstore: certificate chains to the trust root's Fulcio CA, transparency-log entries and timestamps verify, signer is ${options.keyless.identity} (issuer ${options.keyless.issuer})`);
  }
  let legacy = false;
  if (!verifyPae(b.payloadType, b.payload, b.signature, signer)) {
    legacy = verifyPae(b.payloadType, b.payload, b.signature, signer, true);
    if (!legacy) return failed('the DSSE signature does not verify with this key: the signature or the statement was altered, or it was made with another key');
  }
  report.checked.push(`signature: DSSE ${legacy ? 'legacy v0.2 PAE, SHA-256' : 'PAE'} verifies`);
  const st = readStatement(b.payload);
  if (!st.ok) return failed(st.reason);
  if (legacy && st.manifest.predicateType !== LEGACY_PREDICATE) return failed('the legacy v0.2 signature encoding is accepted only for the v0.1 predicate it was used with');
  report.legacy = legacy;
  report.predicateType = st.manifest.predicateType;
  if (st.manifest.rootDigest !== undefined) report.rootDigest = st.manifest.rootDigest;
  report.checked.push(st.manifest.rootDigest === undefined ? 'statement: v0.1 per-file digests' : 'statement: conforms to the OMS schema; subject digest is the root of its resources');

  let local;
  try {
    local = await serializeLocal(target, st.manifest, options);
  } catch (err) {
    // What the signer's listing rules refuse (a new symbolic link, a pipe, a non-UTF-8 name) is a changed model.
    if (err instanceof HashingError && TAMPER_CODES.has(err.code)) return failed(`the model does not match its signature: ${err.message}`);
    throw err;
  }
  report.files = local.files;
  report.bytes = local.bytes;
  report.diff = local.diff;
  if (!isClean(local.diff)) return failed(describeDiff(local.diff));
  report.checked.push(`files: all ${local.files} files match`);
  return { ...report, status: report.unchecked.length > 0 ? 'incomplete' : 'verified' };
}

/** The key to check the signature with, after the method's own checks; a string is a failed verification. */
function signingKey(b: ParsedBundle, options: VerifyOptions, report: VerifyReport): KeyObject | string {
  if (b.method === 'key') {
    const key = options.publicKey;
    if (key === undefined) throw new SignError('SIGN_METHOD_MISMATCH', 'this signature was made with a key: verify it with --key PUBLIC.pem');
    if (b.keyHint !== undefined && b.keyHint !== keyHint(key)) return `the bundle's key hint ${b.keyHint} names another key than the one given (${keyHint(key)})`;
    if (b.keyRawBytes !== undefined) {
      let carried: KeyObject | undefined;
      try {
        carried = publicKeyFrom(b.keyRawBytes[0] === 0x30 ? b.keyRawBytes : b.keyRawBytes.toString('latin1'), 'the bundle’s publicKey.rawBytes');
      } catch {
        carried = undefined;
      }
      if (carried !== undefined && !sameKey(carried, key)) return 'the bundle carries another public key than the one given';
    }
    report.checked.push(b.keyHint !== undefined ? 'key: the bundle\'s hint matches the given key' : 'key: given by the verifier');
    return key;
  }
  const leaf = b.certificates[0]!;
  let leafKey: KeyObject;
  try {
    leafKey = publicKeyFrom(leaf.publicKey.export({ type: 'spki', format: 'der' }), 'the signing certificate’s key');
  } catch (err) {
    return (err as Error).message;
  }
  if (b.method === 'certificate') {
    const anchors = options.trustAnchors;
    if (anchors === undefined || anchors.length === 0) throw new SignError('SIGN_METHOD_MISMATCH', 'this signature was made with a certificate: verify it with --certificate-chain CA.pem (the certificates you trust)');
    const at = options.at ?? new Date(leaf.validFrom);
    const problem = verifyChain(leaf, b.certificates.slice(1), anchors, at);
    if (problem !== undefined) return problem;
    report.checked.push(`certificate: chain to a trusted certificate verified at ${at.toISOString()}; leaf may sign code`);
    return leafKey;
  }
  // Keyless (Sigstore): without the Sigstore trust root only the envelope's own consistency can be checked.
  report.checked.push('certificate: signature checked with the key in the Fulcio certificate the bundle carries');
  report.unchecked.push(
    'that the certificate was issued by Sigstore (Fulcio) — needs the trusted root',
    `the transparency-log entries (${b.tlogEntries}) and ${b.timestamps} timestamp(s) — needs the trusted root`,
    'the signer identity and OIDC issuer in the certificate',
  );
  return leafKey;
}

async function serializeLocal(target: string, m: SignedManifest, options: VerifyOptions): Promise<{ diff: ManifestDiff; files: number; bytes: number }> {
  const p = m.params;
  const local = await serializeModel(target, {
    method: p.method,
    hashType: p.hashType,
    ...(p.shardSize === undefined ? {} : { shardSize: p.shardSize }),
    allowSymlinks: p.allowSymlinks,
    ignorePaths: [...p.ignorePaths, ...(options.ignorePaths ?? [])],
    exclude: options.signaturePath === undefined ? [] : [options.signaturePath],
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.onListed === undefined ? {} : { onListed: options.onListed }),
    ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
  });
  // A single-file model is named `.` by the reference and by its basename by the spec text: both mean the file.
  const base = basename(local.listing.root);
  const alias = (path: string): string => (local.listing.single && path === base ? '.' : path);
  return { diff: diffResources(m.resources, local.resources, p.method === 'shards', alias), files: local.listing.files.length, bytes: local.bytes };
}

function describeDiff(d: ManifestDiff): string {
  const parts = [d.modified.length > 0 ? `modified: ${d.modified.join(', ')}` : '', d.added.length > 0 ? `added: ${d.added.join(', ')}` : '', d.removed.length > 0 ? `removed: ${d.removed.join(', ')}` : ''].filter((x) => x !== '');
  return `the model does not match its signature (${parts.join('; ')})`;
}
