import { z } from 'zod';

/**
 * The one config schema (`<home>/config.yaml`, `--config FILE`, `$PALISADE_CONFIG`). Objects are strict: an unknown
 * key is an error naming the key and its line. Later layers add their sections here.
 */
export const ScanConfigSchema = z
  .strictObject({
    /** Extra globals a pickle may import: `module.name`, or `module.*` for every plain name of a module. */
    allow: z.array(z.string().regex(/^[A-Za-z_][\w.]*(\.\*)?$/, 'expected module.name or module.*')).default([]),
    /** Verdict at or above which `palisade scan` exits 1. */
    failOn: z.enum(['unsafe', 'suspicious']).default('suspicious'),
    /** A suppressions file (accepted findings by file digest and rule), relative to the config file. */
    suppressions: z.string().optional(),
    /** Worker threads for folders of many files; default one per core. */
    workers: z.number().int().min(1).max(256).optional(),
  })
  .default({ allow: [], failOn: 'suspicious' });

export const StoreConfigSchema = z
  .strictObject({
    /** `postgres://user@host:5432/db`, or a SQLite file path; unset: `<home>/palisade.db`. */
    url: z.string().min(1).optional(),
  })
  .default({});

export const AuditConfigSchema = z
  .strictObject({
    /**
     * Whether raw user text (prompts, completions) is kept beside the log. Off: the log holds keyed digests only.
     * On: the raw text sits in a side table under its digest, purgeable without touching the log.
     */
    rawText: z.boolean().default(false),
    /** Days raw text is kept; `palisade audit purge` deletes what is older. */
    retentionDays: z.number().int().min(1).max(36_500).default(30),
  })
  .default({ rawText: false, retentionDays: 30 });

export const ConfigSchema = z.strictObject({
  /** Schema version of this file. */
  version: z.literal(1).default(1),
  scan: ScanConfigSchema,
  store: StoreConfigSchema,
  audit: AuditConfigSchema,
});

export type Config = z.infer<typeof ConfigSchema>;

/** The config `palisade init` writes: every default spelled out, so users see what they can change. */
export const DEFAULT_CONFIG_YAML = `# Palisade configuration. Unknown keys are errors.
version: 1
scan:
  # Globals a pickle may import beyond the built-in allowlist (module.name or module.*).
  allow: []
  # Exit 1 when a file is at least this bad: unsafe | suspicious.
  failOn: suspicious
  # suppressions: suppressions.yaml
# Where the audit log and registry live; default: palisade.db in this folder.
store: {}
#  url: postgres://palisade@127.0.0.1:5432/palisade
audit:
  # Keep raw prompts and completions beside the log (a purgeable side table)? Off: keyed digests only.
  rawText: false
  # Days raw text is kept before palisade audit purge deletes it.
  retentionDays: 30
`;
