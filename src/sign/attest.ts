import type { KeyObject } from 'node:crypto';
import { parseBundle } from './bundle.js';
import { verifyPae } from './dsse.js';
import { keyHint } from './keys.js';
import { STATEMENT_TYPE } from './statement.js';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** Our build type: a training run. Its external parameters are the run's hyper-parameters. */
export const TRAINING_BUILD_TYPE = 'https://palisade.dev/attestations/training/v1';
export const DEFAULT_BUILDER_ID = 'https://palisade.dev/cli';

/** An in-toto ResourceDescriptor, as SLSA's resolvedDependencies and the statement's subject use it. */
export interface ResourceDescriptor {
  name: string;
  uri?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface TrainingRun {
  /** The model produced: its name and OMS root digest (files method) with the ignore paths used. */
  model: { name: string; rootDigest: string; ignorePaths: string[] };
  /** Datasets: name, root digest and the ignore paths their manifests used. */
  datasets: { name: string; rootDigest: string; ignorePaths: string[] }[];
  /** The code: a git commit, a folder digest, or both. */
  code?: { uri: string; gitCommit?: string; sha256?: string };
  baseModel?: { name: string; rootDigest: string };
  parameters: Record<string, unknown>;
  builderId?: string;
}

/**
 * The SLSA provenance v1 statement for a training run: subject = the model (OMS root digest), resolved
 * dependencies = datasets (their manifests' root digests), code and base model; external parameters =
 * hyper-parameters. Ignore paths ride along as annotations so a verifier can recompute the same digests.
 */
export function provenanceStatement(run: TrainingRun): object {
  const deps: ResourceDescriptor[] = [
    ...run.datasets.map((d) => ({ name: d.name, uri: `palisade:dataset/${encodeURIComponent(d.name)}`, digest: { sha256: d.rootDigest }, annotations: { kind: 'dataset', ignorePaths: d.ignorePaths } })),
    ...(run.code === undefined ? [] : [{ name: 'code', uri: run.code.uri, digest: { ...(run.code.gitCommit === undefined ? {} : { gitCommit: run.code.gitCommit }), ...(run.code.sha256 === undefined ? {} : { sha256: run.code.sha256 }) }, annotations: { kind: 'code' } }]),
    ...(run.baseModel === undefined ? [] : [{ name: run.baseModel.name, digest: { sha256: run.baseModel.rootDigest }, annotations: { kind: 'base-model' } }]),
  ];
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: run.model.name, digest: { sha256: run.model.rootDigest }, annotations: { ignorePaths: run.model.ignorePaths } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: { buildType: TRAINING_BUILD_TYPE, externalParameters: { parameters: run.parameters }, resolvedDependencies: deps },
      runDetails: { builder: { id: run.builderId ?? DEFAULT_BUILDER_ID } },
    },
  };
}

export interface Provenance {
  subject: ResourceDescriptor;
  datasets: ResourceDescriptor[];
  code?: ResourceDescriptor;
  baseModel?: ResourceDescriptor;
  parameters: Record<string, unknown>;
  builderId: string;
}

export type AttestationResult = { ok: true; provenance: Provenance } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDescriptor = (v: unknown): v is ResourceDescriptor => isObject(v) && typeof v.name === 'string' && isObject(v.digest) && Object.values(v.digest).every((x) => typeof x === 'string' && /^[0-9a-f]+$/.test(x));

/**
 * Checks a training attestation's signature (key hint, DSSE by curve) and reads its SLSA provenance. Malformed
 * bundles throw SignError; a signature or statement that does not hold is a failed result.
 */
export function verifyAttestation(text: Buffer | string, publicKey: KeyObject): AttestationResult {
  const b = parseBundle(text);
  const fail = (reason: string): AttestationResult => ({ ok: false, reason });
  if (b.method !== 'key') return fail(`the attestation was signed with the ${b.method} method; Palisade attestations are key-signed`);
  if (b.keyHint !== undefined && b.keyHint !== keyHint(publicKey)) return fail(`the attestation's key hint ${b.keyHint} names another key`);
  if (!verifyPae(b.payloadType, b.payload, b.signature, publicKey)) return fail('the DSSE signature does not verify with this key: the attestation was altered or signed with another key');
  let st: unknown;
  try {
    st = JSON.parse(b.payload.toString('utf8'));
  } catch {
    return fail('the signed payload is not JSON');
  }
  if (!isObject(st) || st._type !== STATEMENT_TYPE) return fail('the signed payload is not an in-toto Statement v1');
  if (st.predicateType !== SLSA_PROVENANCE_V1) return fail(`predicateType ${JSON.stringify(st.predicateType)} is not SLSA provenance v1`);
  const subject = Array.isArray(st.subject) && st.subject.length === 1 ? st.subject[0] : undefined;
  if (!isDescriptor(subject) || typeof subject.digest.sha256 !== 'string') return fail('the statement must have exactly one subject with a sha256 digest (the model)');
  const bd = isObject(st.predicate) ? st.predicate.buildDefinition : undefined;
  if (!isObject(bd) || bd.buildType !== TRAINING_BUILD_TYPE) return fail(`buildType is not ${TRAINING_BUILD_TYPE}`);
  const deps = bd.resolvedDependencies;
  if (!Array.isArray(deps) || !deps.every(isDescriptor)) return fail('resolvedDependencies is not a list of resource descriptors');
  const kind = (d: ResourceDescriptor): unknown => d.annotations?.kind;
  const params = isObject(bd.externalParameters) && isObject(bd.externalParameters.parameters) ? bd.externalParameters.parameters : {};
  const rd = isObject(st.predicate) && isObject((st.predicate as Record<string, unknown>).runDetails) ? ((st.predicate as Record<string, Record<string, unknown>>).runDetails!.builder as { id?: unknown } | undefined) : undefined;
  const code = deps.find((d) => kind(d) === 'code');
  const base = deps.find((d) => kind(d) === 'base-model');
  return {
    ok: true,
    provenance: {
      subject,
      datasets: deps.filter((d) => kind(d) === 'dataset'),
      ...(code === undefined ? {} : { code }),
      ...(base === undefined ? {} : { baseModel: base }),
      parameters: params,
      builderId: typeof rd?.id === 'string' ? rd.id : '',
    },
  };
}
