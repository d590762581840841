import type { Selectable } from 'kysely';
import type { RegistryVersionTable } from '../store/index.js';
import type { CardDraft } from './card.js';
import type { AttestationCheck, ScanCheck, SignatureCheck } from './checks.js';
import type { RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';

/** What registration found, kept with the version. */
export interface RegistrationFindings {
  /** Paths (relative to the artifact) left out of its digest: signature, attestation and card files inside it. */
  ignorePaths: string[];
  scan?: ScanCheck;
  signature?: SignatureCheck;
  attestation?: AttestationCheck;
  /** Card fields still missing (empty: complete). */
  cardMissing?: string[];
}

export interface VersionRecord {
  kind: 'model' | 'dataset';
  name: string;
  version: string;
  rootDigest: string;
  path: string;
  copied: boolean;
  endpoint?: string;
  registrant: string;
  registeredAt: string;
  state: 'pending' | 'approved' | 'rejected';
  card?: CardDraft;
  findings: RegistrationFindings;
  signature: string | null;
  attestation: string | null;
  manifest: string | null;
}

export function toRecord(r: Selectable<RegistryVersionTable>): VersionRecord {
  return {
    kind: r.kind,
    name: r.name,
    version: r.version,
    rootDigest: r.root_digest,
    path: r.path,
    copied: r.copied === 1,
    ...(r.endpoint === null ? {} : { endpoint: r.endpoint }),
    registrant: r.registrant,
    registeredAt: r.registered_at,
    state: r.state as VersionRecord['state'],
    ...(r.card === null ? {} : { card: JSON.parse(r.card) as CardDraft }),
    findings: JSON.parse(r.findings) as RegistrationFindings,
    signature: r.signature,
    attestation: r.attestation,
    manifest: r.manifest,
  };
}

/** A registered version, or REGISTRY_VERSION_NOT_FOUND naming it. */
export async function getVersion(deps: Pick<RegistryDeps, 'store'>, kind: 'model' | 'dataset', name: string, version: string): Promise<VersionRecord> {
  const r = await deps.store.db.selectFrom('registry_versions').selectAll().where('kind', '=', kind).where('name', '=', name).where('version', '=', version).executeTakeFirst();
  if (r === undefined) throw new RegistryError('REGISTRY_VERSION_NOT_FOUND', `no ${kind} ${name}@${version} is registered (palisade ${kind} list)`);
  return toRecord(r);
}

export async function listVersions(deps: Pick<RegistryDeps, 'store'>, kind: 'model' | 'dataset', name?: string): Promise<VersionRecord[]> {
  let q = deps.store.db.selectFrom('registry_versions').selectAll().where('kind', '=', kind);
  if (name !== undefined) q = q.where('name', '=', name);
  return (await q.orderBy('name').orderBy('registered_at').execute()).map(toRecord);
}
