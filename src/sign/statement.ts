import { DEFAULT_SHARD_SIZE, rootDigest, spanOf, type HashType, type Resource, type SerializationParams, type Serialized } from '../hashing/index.js';
import { schemaProblem } from './schema-check.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const OMS_PREDICATE = 'https://model_signing/signature/v1.0';
/** model_signing v0.2's predicate: one subject per file, no serialization block, no root digest. */
export const LEGACY_PREDICATE = 'https://model_signing/Digests/v0.1';

/** Most resources a statement may list before it is refused (a 4 TB model in 1 GB shards needs 4,000). */
export const MAX_RESOURCES = 1_000_000;

/** What a verified statement tells a verifier, whichever predicate version carried it. */
export interface SignedManifest {
  predicateType: string;
  /** The subject's name (informational: never trusted for anything). */
  name: string;
  /** How to re-serialize the local model for comparison. */
  params: SerializationParams;
  /** In payload order. */
  resources: Resource[];
  /** The subject digest (v1.0); undefined for the legacy predicate, which has none. */
  rootDigest?: string;
}

/** Builds the OMS v1.0 in-toto statement for a serialized model (the reference's field layout). */
export function buildStatement(s: Serialized, name: string): object {
  const p = s.params;
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: s.rootDigest } }],
    predicateType: OMS_PREDICATE,
    predicate: {
      serialization: {
        method: p.method,
        hash_type: p.hashType,
        allow_symlinks: p.allowSymlinks,
        ...(p.method === 'shards' ? { shard_size: p.shardSize ?? DEFAULT_SHARD_SIZE } : {}),
        ...(p.ignorePaths.length > 0 ? { ignore_paths: p.ignorePaths } : {}),
      },
      resources: s.resources.map((r) => ({ name: r.name, algorithm: r.algorithm, digest: r.digest })),
    },
  };
}

export type StatementResult = { ok: true; manifest: SignedManifest } | { ok: false; reason: string };

const fail = (reason: string): StatementResult => ({ ok: false, reason });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a signed statement (after its signature verified). Checks the in-toto type and OMS predicate type, the
 * JSON Schema, that each resource's algorithm matches `hash_type` and its digest has that hash's length, that
 * shard names parse, no name repeats, and that the subject digest is the root digest of the resources in payload
 * order (OMS §8 step 4). The reference writes shard algorithms as `sha256-sharded-<size>` and `shard_size` as a
 * float; both are accepted here and normalized before the schema check.
 */
export function readStatement(payload: Buffer): StatementResult {
  let st: unknown;
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return fail(`the signed payload is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(st)) return fail('the signed payload is not a JSON object');
  if (st._type !== STATEMENT_TYPE) return fail(`the signed payload is not an in-toto Statement v1 (_type ${JSON.stringify(st._type)})`);
  if (st.predicateType === LEGACY_PREDICATE) return readLegacy(st);
  if (st.predicateType !== OMS_PREDICATE) return fail(`predicateType ${JSON.stringify(st.predicateType)} is not an OMS model signature (${OMS_PREDICATE})`);
  const pred = st.predicate;
  if (!isObject(pred) || !isObject(pred.serialization) || !Array.isArray(pred.resources)) return fail('the predicate lacks its serialization or resources');
  if (pred.resources.length > MAX_RESOURCES) return fail(`the predicate lists ${pred.resources.length} resources, more than the ${MAX_RESOURCES} accepted`);
  const ser = pred.serialization;
  const hashType = ser.hash_type;
  const method = ser.method;
  const normalized = {
    ...st,
    predicate: {
      ...pred,
      resources: pred.resources.map((r: unknown) => (isObject(r) && typeof r.algorithm === 'string' ? { ...r, algorithm: r.algorithm.replace(/^(sha256|blake2b|blake3)-sharded-\d+$/, '$1') } : r)),
    },
  };
  const problem = schemaProblem('statement', normalized);
  if (problem !== undefined) return fail(`the statement does not conform to the OMS schema: ${problem}`);
  if (hashType === 'blake3') return fail('the model was hashed with BLAKE3, which this verifier does not compute (sha256 and blake2b only)');
  const ht = hashType as HashType;
  const sharded = method === 'shards';
  const digestLength = ht === 'sha256' ? 64 : 128;
  const resources: Resource[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of (normalized.predicate.resources as Resource[]).entries()) {
    if (raw.algorithm !== ht) return fail(`resource ${i} (${raw.name}) says algorithm ${raw.algorithm} but hash_type is ${ht}`);
    if (raw.digest.length !== digestLength) return fail(`resource ${i} (${raw.name}) has a ${raw.digest.length}-digit digest; ${ht} needs ${digestLength}`);
    if (sharded && spanOf(raw.name, true) === undefined) return fail(`resource ${i}: '${raw.name}' is not a shard name (path:start:end with start < end)`);
    if (seen.has(raw.name)) return fail(`resource '${raw.name}' is listed twice`);
    seen.add(raw.name);
    resources.push({ name: raw.name, algorithm: raw.algorithm, digest: raw.digest });
  }
  const subject = (st.subject as { name: string; digest: Record<string, string> }[])[0]!;
  const want = subject.digest.sha256;
  if (want === undefined) return fail('the subject has no sha256 digest (the OMS root digest)');
  const got = rootDigest(resources);
  if (got !== want) return fail(`the subject digest ${want} is not the root digest of the listed resources (${got}): the statement is inconsistent`);
  const ignorePaths = Array.isArray(ser.ignore_paths) ? (ser.ignore_paths as string[]) : [];
  const escaping = ignorePaths.find((p) => p.startsWith('/') || p.split('/').includes('..'));
  if (escaping !== undefined) return fail(`ignore path '${escaping}' points outside the model`);
  const shardSize = ser.shard_size as number | undefined;
  return {
    ok: true,
    manifest: {
      predicateType: OMS_PREDICATE,
      name: subject.name,
      params: { method: sharded ? 'shards' : 'files', hashType: ht, ...(sharded ? { shardSize: shardSize! } : {}), allowSymlinks: ser.allow_symlinks === true, ignorePaths },
      resources,
      rootDigest: want,
    },
  };
}

/** model_signing v0.2: each subject is a file with its SHA-256; there is no root digest to check. */
function readLegacy(st: Record<string, unknown>): StatementResult {
  if (!Array.isArray(st.subject) || st.subject.length > MAX_RESOURCES) return fail('the v0.1 statement has no subject list');
  const resources: Resource[] = [];
  for (const [i, s] of st.subject.entries()) {
    const digest = isObject(s) && isObject(s.digest) ? s.digest.sha256 : undefined;
    if (!isObject(s) || typeof s.name !== 'string' || s.name === '' || typeof digest !== 'string' || !/^[0-9a-f]{64}$/.test(digest)) return fail(`subject ${i} of the v0.1 statement is not a name with a sha256 digest`);
    resources.push({ name: s.name, algorithm: 'sha256', digest });
  }
  return { ok: true, manifest: { predicateType: LEGACY_PREDICATE, name: '', params: { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] }, resources } };
}
