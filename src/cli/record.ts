import type { AuditEvent } from '../audit/index.js';
import type { Env } from './env.js';
import type { Io } from './io.js';
import { resolveConfig } from './resolve-config.js';
import { createRuntime, type Runtime } from './runtime.js';

/**
 * Records events in the audit log when a Palisade home exists (none inside `untrusted`, the trees being signed or
 * verified). A log that cannot be written is a warning: the command's own verdict stands.
 */
export async function recordIfHome(io: Io, env: Env, flags: { config?: string; record?: boolean }, untrusted: readonly string[], events: (actor: string) => AuditEvent[]): Promise<void> {
  if (flags.record === false) return;
  let rt: Runtime | undefined;
  try {
    const resolved = resolveConfig(io.cwd, env, flags.config, untrusted);
    if (resolved.home === undefined) return;
    rt = await createRuntime(io, env, {}, resolved);
    const log = rt.log;
    await Promise.all(events(rt.actor).map((e) => log.record(e)));
  } catch (err) {
    io.stderr(`palisade: warning: not recorded in the audit log: ${(err as Error).message}\n`);
  } finally {
    await rt?.close();
  }
}
