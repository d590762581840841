import type { Generated } from 'kysely';

/**
 * Tables, as Kysely sees them. Integers that can pass 2^31 (indices, sizes) are `bigint` columns; drivers return
 * them as string (pg) or number (SQLite), so readers convert with `Number()` — log sizes stay far below 2^53.
 */
export interface AuditEntryTable {
  /** 0-based position in the log. */
  idx: number | string;
  /** RFC 9162 leaf hash of `entry`. */
  leaf_hash: Uint8Array;
  /** RFC 8785 canonical JSON of { type, actor, subject, data, time }, UTF-8. */
  entry: Uint8Array;
  type: string;
  actor: string;
  subject: string;
  /** RFC 3339 UTC with milliseconds, as in `entry`. */
  time: string;
}

/** Hashes of complete subtrees: level 0 holds leaf hashes, level L index j covers leaves [j·2^L, (j+1)·2^L). */
export interface AuditNodeTable {
  level: number;
  idx: number | string;
  hash: Uint8Array;
}

export interface AuditCheckpointTable {
  size: number | string;
  root_hash: Uint8Array;
  /** The signed note, as published. */
  note: string;
  created_at: string;
}

/** One row (id = 1): the log size, locked by appenders (a row lock in PostgreSQL). */
export interface AuditStateTable {
  id: number;
  size: number | string;
  /** The checkpoint origin, fixed when the log is first used (`palisade/<first key id>`); null before. */
  origin: string | null;
  /** The signed-note verifier key that signs checkpoints now; changed only by a key rotation. */
  active_key: string | null;
}

/** Raw text kept beside the log when the config allows it; purgeable without touching the log (which holds digests). */
export interface AuditRawTable {
  digest: string;
  text: string;
  created_at: string;
}

/** Gateway API keys: only the SHA-256 of a key is stored; `version` orders changes so instances can poll them. */
export interface ApiKeyTable {
  id: string;
  name: string;
  /** Hex SHA-256 of the whole key string. */
  key_hash: string;
  /** JSON array of model names the key may call. */
  models: string;
  rpm: number | null;
  tpm: number | null;
  /** RFC 3339; null: never. */
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  created_by: string;
  /** Bumped (to max + 1) on every change, so gateways reload only what changed. */
  version: number | string;
}

/** Canary routing state per model: survives restarts, so a rolled-back canary stays rolled back. */
export interface GatewayRouteTable {
  model: string;
  canary_weight: number;
  rolled_back_at: string | null;
  reason: string | null;
  /** Registry-linked canaries: the version (`name@version`) the rollback applies to; null: the configured upstream. */
  canary_version: string | null;
}

/** A registered model or dataset version and what registration found (JSON text columns). */
export interface RegistryVersionTable {
  kind: 'model' | 'dataset';
  name: string;
  version: string;
  /** OMS files-method root digest (models) or the manifest's root digest (datasets), hex. */
  root_digest: string;
  /** Where the artifact is: in place, or in the home's content-addressed store (`copied` = 1). */
  path: string;
  copied: number;
  /** The serving endpoint of this version (models). */
  endpoint: string | null;
  /** The actor who registered it (`user:NAME`, `os:NAME`). */
  registrant: string;
  registered_at: string;
  /** JSON: the scan verdict and summary, and per-check findings of registration. */
  findings: string;
  /** The OMS signature bundle, as given. */
  signature: string | null;
  /** The training attestation bundle, as given. */
  attestation: string | null;
  /** JSON: the model card, as validated. */
  card: string | null;
  /** Datasets: the manifest text. */
  manifest: string | null;
  /** pending | approved | rejected (rejected is final). */
  state: string;
}

/** Where each alias of a model points now; `seq` is bumped (to the registry-wide max + 1) on every move. */
export interface RegistryAliasTable {
  name: string;
  alias: string;
  version: string;
  updated_at: string;
  updated_by: string;
  seq: number | string;
}

/** Every alias move, oldest first: what rollback reads to find the last known good version. */
export interface RegistryAliasMoveTable {
  seq: number | string;
  name: string;
  alias: string;
  from_version: string | null;
  to_version: string;
  actor: string;
  reason: string;
  /** promote | rollback | set */
  kind: string;
  at: string;
}

/** Per-model state: frozen by an incident (its id) or not. */
export interface RegistryModelTable {
  name: string;
  frozen_by: string | null;
  seq: number | string;
}

/** Approvals and rejections, one per reviewer and version. */
export interface RegistryReviewTable {
  name: string;
  version: string;
  reviewer: string;
  role: string;
  decision: 'approve' | 'reject';
  comment: string;
  at: string;
}

/** Public keys and certificate roots whose signatures the registry accepts. */
export interface RegistryTrustTable {
  name: string;
  /** key: a public key; root: a CA certificate; identity: a keyless (Sigstore) signer. */
  kind: 'key' | 'root' | 'identity';
  /** The PEM (keys, roots), or the Sigstore trusted_root.json text the identity's certificates must chain to. */
  pem: string;
  fingerprint: string;
  /** Keyless signers: the certificate's subject alternative name (e-mail or URI) and OIDC issuer, matched exactly. */
  identity: string | null;
  issuer: string | null;
  added_by: string;
  added_at: string;
}

/** Control-plane users and service accounts; only the SHA-256 of a token is stored. */
export interface UserTable {
  name: string;
  role: string;
  kind: 'user' | 'service';
  token_hash: string;
  created_at: string;
  created_by: string;
  disabled_at: string | null;
}

export interface IncidentTable {
  id: string;
  model: string;
  reason: string;
  opened_by: string;
  opened_at: string;
  closed_by: string | null;
  closed_at: string | null;
  /** JSON: the playbook's steps and their outcomes. */
  steps: string;
}

export interface MigrationRow {
  id: Generated<number>;
}

export interface Database {
  audit_entries: AuditEntryTable;
  audit_nodes: AuditNodeTable;
  audit_checkpoints: AuditCheckpointTable;
  audit_state: AuditStateTable;
  audit_raw: AuditRawTable;
  api_keys: ApiKeyTable;
  gateway_routes: GatewayRouteTable;
  registry_versions: RegistryVersionTable;
  registry_aliases: RegistryAliasTable;
  registry_alias_moves: RegistryAliasMoveTable;
  registry_models: RegistryModelTable;
  registry_reviews: RegistryReviewTable;
  registry_trust: RegistryTrustTable;
  users: UserTable;
  incidents: IncidentTable;
}
