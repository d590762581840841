import type { Principal } from '../access/index.js';
import type { AuditLog } from '../audit/index.js';
import type { RegistryConfig } from '../core/config-schema.js';
import type { Store } from '../store/index.js';
import type { GateSet } from './gates.js';

/** One registry event, as recorded in the audit log and sent to webhooks. */
export interface RegistryEvent {
  type: string;
  actor: string;
  subject: string;
  data: Record<string, unknown>;
}

/** What the registry works with; `cli/` and the server build it once (createRuntime). */
export interface RegistryDeps {
  store: Store;
  log: AuditLog;
  config: RegistryConfig;
  /** The home folder: copied artifacts live in its content-addressed store. */
  home: string;
  /** Promotion gates by name (default: the built-in ones). */
  gates?: GateSet;
  /** Sends an event to the configured webhooks; undefined: none configured. */
  notify?: (event: RegistryEvent) => Promise<void>;
  /** Extra globals the scanner allows (the config's scan.allow). */
  scanAllow?: readonly string[];
  now?: () => Date;
}

export const nowOf = (deps: RegistryDeps): Date => deps.now?.() ?? new Date();

/** Records an event in the audit log, then sends it to the webhooks. */
export async function emit(deps: RegistryDeps, event: RegistryEvent): Promise<void> {
  await deps.log.record(event);
  await deps.notify?.(event);
}

export type { Principal };
