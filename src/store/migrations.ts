import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { StoreError } from './errors.js';
import type { Dialect } from './connect.js';

/**
 * Migrations in code (not files), so the built package carries them. Each is written once for both dialects;
 * only the byte and big-integer column types differ. Never edit a shipped migration: add the next one.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_audit_log': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('audit_entries')
          .addColumn('idx', sql.raw(big), (c) => c.primaryKey())
          .addColumn('leaf_hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('entry', sql.raw(bytes), (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('time', 'text', (c) => c.notNull())
          .execute();
        for (const col of ['type', 'actor', 'subject', 'time'] as const) {
          await db.schema.createIndex(`audit_entries_${col}`).on('audit_entries').column(col).execute();
        }
        await db.schema
          .createTable('audit_nodes')
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('idx', sql.raw(big), (c) => c.notNull())
          .addColumn('hash', sql.raw(bytes), (c) => c.notNull())
          .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
          .execute();
        await db.schema
          .createTable('audit_checkpoints')
          .addColumn('size', sql.raw(big), (c) => c.primaryKey())
          .addColumn('root_hash', sql.raw(bytes), (c) => c.notNull())
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('audit_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('size', sql.raw(big), (c) => c.notNull())
          .execute();
        await (db as Kysely<{ audit_state: { id: number; size: number } }>).insertInto('audit_state').values({ id: 1, size: 0 }).execute();
        await db.schema
          .createTable('audit_raw')
          .addColumn('digest', 'text', (c) => c.primaryKey())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // The log's identity outlives its first key: the origin is fixed at first use, and the key that signs
    // checkpoints now is recorded so that an appender still holding a rotated-out key stops instead of signing.
    '0002_audit_keys': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('audit_state').addColumn('origin', 'text').execute();
        await db.schema.alterTable('audit_state').addColumn('active_key', 'text').execute();
      },
    },
    '0003_gateway': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('models', 'text', (c) => c.notNull())
          .addColumn('rpm', 'integer')
          .addColumn('tpm', 'integer')
          .addColumn('expires_at', 'text')
          .addColumn('revoked_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('version', sql.raw(big), (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('gateway_routes')
          .addColumn('model', 'text', (c) => c.primaryKey())
          .addColumn('canary_weight', 'integer', (c) => c.notNull())
          .addColumn('rolled_back_at', 'text')
          .addColumn('reason', 'text')
          .execute();
      },
    },
    // The registry: versions with what registration found, aliases (and every move of one), approvals, trusted
    // signers, users of the control plane, incidents. `seq` columns order changes so readers can poll cheaply.
    '0004_registry': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('registry_versions')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('root_digest', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('copied', 'integer', (c) => c.notNull())
          .addColumn('endpoint', 'text')
          .addColumn('registrant', 'text', (c) => c.notNull())
          .addColumn('registered_at', 'text', (c) => c.notNull())
          .addColumn('findings', 'text', (c) => c.notNull())
          .addColumn('signature', 'text')
          .addColumn('attestation', 'text')
          .addColumn('card', 'text')
          .addColumn('manifest', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('registry_versions_pk', ['kind', 'name', 'version'])
          .execute();
        await db.schema
          .createTable('registry_aliases')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('alias', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .addColumn('seq', sql.raw(big), (c) => c.notNull())
          .addPrimaryKeyConstraint('registry_aliases_pk', ['name', 'alias'])
          .execute();
        await db.schema
          .createTable('registry_alias_moves')
          .addColumn('seq', sql.raw(big), (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('alias', 'text', (c) => c.notNull())
          .addColumn('from_version', 'text')
          .addColumn('to_version', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('registry_alias_moves_name').on('registry_alias_moves').columns(['name', 'alias']).execute();
        await db.schema
          .createTable('registry_models')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('frozen_by', 'text')
          .addColumn('seq', sql.raw(big), (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('registry_reviews')
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('reviewer', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('comment', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('registry_reviews_pk', ['name', 'version', 'reviewer'])
          .execute();
        await db.schema
          .createTable('registry_trust')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('pem', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('added_by', 'text', (c) => c.notNull())
          .addColumn('added_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('users')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('disabled_at', 'text')
          .execute();
        await db.schema
          .createTable('incidents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('opened_by', 'text', (c) => c.notNull())
          .addColumn('opened_at', 'text', (c) => c.notNull())
          .addColumn('closed_by', 'text')
          .addColumn('closed_at', 'text')
          .addColumn('steps', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // A registry-linked canary's rollback holds for the version that was rolled back; a new canary version is
    // routed again.
    '0005_gateway_canary_version': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('gateway_routes').addColumn('canary_version', 'text').execute();
      },
    },
    // Keyless (Sigstore) trusted signers: an identity and issuer, with the trust root in `pem`.
    '0006_trust_identity': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('registry_trust').addColumn('identity', 'text').execute();
        await db.schema.alterTable('registry_trust').addColumn('issuer', 'text').execute();
      },
    },
    // A leaf's hash is its entry's leaf_hash: audit_nodes keeps only the subtrees above the leaves (a second copy of
    // every leaf cost a row per entry and about a sixth of the SQLite work of an append).
    '0007_audit_leaves_in_entries': {
      async up(db: Kysely<unknown>): Promise<void> {
        await sql`delete from audit_nodes where level = 0`.execute(db);
      },
    },
  };
}

class InlineProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrations(this.dialect));
  }
}

/** Brings the schema to the latest version; safe to run on every start (already-applied steps are skipped). */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InlineProvider(dialect),
    migrationTableName: 'palisade_migrations',
    migrationLockTableName: 'palisade_migrations_lock',
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    throw new StoreError('STORE_MIGRATION_FAILED', `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
