import { parseManifest, verifyDataset } from '../data/index.js';
import { scanPaths } from '../model/index.js';
import { SignError, verifyAttestation, verifyModel, type VerifyOptions } from '../sign/index.js';
import type { RegistryDeps } from './deps.js';
import { trustMaterial } from './trust.js';

export interface ScanCheck {
  verdict: 'safe' | 'suspicious' | 'unsafe' | 'error';
  files: number;
  /** Rule ids that fired, with the file. */
  findings: { path: string; rule: string }[];
}

export interface SignatureCheck {
  status: 'verified' | 'failed' | 'absent';
  /** The trusted signer (key name, or certificate root name) that verified it. */
  signer?: string;
  reason?: string;
}

export interface AttestationCheck {
  status: 'verified' | 'failed' | 'absent';
  signer?: string;
  reason?: string;
  /** Attested datasets and whether a registered, verifying manifest backs each. */
  datasets?: { name: string; rootDigest: string; ok: boolean; detail: string }[];
}

/** Scans the artifact without loading it; the verdict is the worst file's. */
export async function scanCheck(path: string, allow: readonly string[]): Promise<ScanCheck> {
  const r = await scanPaths([path], { allow: [...allow] });
  const s = r.summary;
  const verdict = s.unsafe > 0 ? 'unsafe' : s.suspicious > 0 ? 'suspicious' : s.error > 0 ? 'error' : 'safe';
  return { verdict, files: s.files, findings: r.files.flatMap((f) => f.findings.map((x) => ({ path: f.path, rule: x.rule }))).slice(0, 50) };
}

/**
 * Verifies an OMS signature with every trusted key (by hint), against the trusted certificate roots, and as each
 * trusted keyless identity (its Fulcio certificate chained to that identity's Sigstore trust root).
 */
export async function signatureCheck(deps: RegistryDeps, path: string, bundle: string | null, ignorePaths: readonly string[]): Promise<SignatureCheck> {
  if (bundle === null) return { status: 'absent', reason: 'no signature was registered (--signature)' };
  const trust = await trustMaterial(deps);
  if (trust.keys.length + trust.roots.length + trust.identities.length === 0) return { status: 'failed', reason: 'no trusted signers: an admin adds them with palisade trust add' };
  const attempts: { signer: string; options: VerifyOptions }[] = [
    ...trust.keys.map((k) => ({ signer: k.name, options: { publicKey: k.key } })),
    ...(trust.roots.length === 0 ? [] : [{ signer: `chain to ${trust.roots.map((x) => x.name).join(' or ')}`, options: { trustAnchors: trust.roots.map((x) => x.cert) } }]),
    ...trust.identities.map((i) => ({ signer: i.name, options: { keyless: i.policy } })),
  ];
  const reasons: string[] = [];
  for (const a of attempts) {
    try {
      const r = await verifyModel(path, bundle, { ...a.options, ignorePaths });
      if (r.status === 'verified') return { status: 'verified', signer: a.signer };
      reasons.push(`${a.signer}: ${r.reason ?? r.status}`);
    } catch (err) {
      // A bundle of another method than this trusted material, or a malformed one: a failed attempt, not a crash.
      if (!(err instanceof SignError)) throw err;
      reasons.push(`${a.signer}: ${err.message}`);
    }
  }
  return { status: 'failed', reason: `no trusted signer verifies it (${[...new Set(reasons)].join('; ')})` };
}

type Provenance = Extract<ReturnType<typeof verifyAttestation>, { ok: true }>['provenance'];

/** The provenance of a training attestation that a trusted key verifies, or why none does. */
export async function trustedProvenance(deps: RegistryDeps, bundle: string): Promise<{ signer: string; provenance: Provenance } | { reason: string }> {
  const trust = await trustMaterial(deps);
  const reasons: string[] = [];
  for (const k of trust.keys) {
    try {
      const r = verifyAttestation(bundle, k.key);
      if (r.ok) return { signer: k.name, provenance: r.provenance };
      reasons.push(`${k.name}: ${r.reason}`);
    } catch (err) {
      if (!(err instanceof SignError)) throw err;
      reasons.push(err.message);
      break;
    }
  }
  return { reason: trust.keys.length === 0 ? 'no trusted keys to check the attestation with' : `no trusted key verifies the attestation (${reasons.join('; ')})` };
}

/**
 * Verifies a training attestation: signed by a trusted key, its subject is this model's root digest, and every
 * dataset it names is registered with a manifest whose files still verify.
 */
export async function attestationCheck(deps: RegistryDeps, rootDigest: string, bundle: string | null): Promise<AttestationCheck> {
  if (bundle === null) return { status: 'absent', reason: 'no training attestation was registered (--attestation)' };
  const found = await trustedProvenance(deps, bundle);
  if ('reason' in found) return { status: 'failed', reason: found.reason };
  const p = found.provenance;
  if (p.subject.digest.sha256 !== rootDigest) return { status: 'failed', signer: found.signer, reason: `the attestation is for root digest ${p.subject.digest.sha256}, not this model's ${rootDigest}` };
  const datasets: NonNullable<AttestationCheck['datasets']> = [];
  for (const d of p.datasets) {
    const digest = d.digest.sha256 ?? '';
    const row = await deps.store.db.selectFrom('registry_versions').select(['version', 'path', 'manifest']).where('kind', '=', 'dataset').where('name', '=', d.name).where('root_digest', '=', digest).executeTakeFirst();
    if (row === undefined || row.manifest === null) {
      datasets.push({ name: d.name, rootDigest: digest, ok: false, detail: 'not registered (palisade dataset register)' });
      continue;
    }
    try {
      const v = await verifyDataset(row.path, parseManifest(row.manifest));
      datasets.push({ name: d.name, rootDigest: digest, ok: v.ok, detail: v.ok ? `${d.name}@${row.version} verifies (${v.files} files)` : `${d.name}@${row.version} no longer matches its manifest` });
    } catch (err) {
      datasets.push({ name: d.name, rootDigest: digest, ok: false, detail: `${d.name}@${row.version} cannot be verified: ${(err as Error).message}` });
    }
  }
  const bad = datasets.filter((d) => !d.ok);
  if (bad.length > 0) return { status: 'failed', signer: found.signer, datasets, reason: `attested datasets do not verify: ${bad.map((d) => `${d.name} (${d.detail})`).join(', ')}` };
  return { status: 'verified', signer: found.signer, datasets };
}
