/** The store layer: Kysely over SQLite (embedded default) or PostgreSQL, with migrations. */
export { openStore, redact, dropSchema, type Dialect, type Store, type StoreOptions } from './connect.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { Database, AuditEntryTable, AuditNodeTable, AuditCheckpointTable, AuditStateTable, AuditRawTable } from './schema.js';
export type { RegistryVersionTable, RegistryAliasTable, RegistryAliasMoveTable, UserTable, IncidentTable } from './schema.js';
