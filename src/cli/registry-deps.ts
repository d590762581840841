import type { Command } from 'commander';
import { CoreError } from '../core/errors.js';
import { webhookNotifier, type RegistryDeps, type WebhookTarget } from '../registry/index.js';
import type { Env } from './env.js';
import type { Io } from './io.js';
import { withRuntime, type Runtime, type StoreFlags } from './runtime.js';

/**
 * The registry's dependencies from the runtime: the config's registry policy, and webhooks with their secrets read
 * from the environment variables the config names (unless `webhooks: false`). A delivery that fails after its retries is a warning and a
 * `webhook.failed` audit entry; it never undoes the action.
 */
export function registryDeps(rt: Runtime, io: Io, env: Env, opts: { webhooks?: boolean } = {}): RegistryDeps {
  const cfg = rt.config.registry;
  // Without webhooks (an action that sends none) their secrets are not needed, and not asked for.
  const targets: WebhookTarget[] = (opts.webhooks === false ? [] : cfg.webhooks).map((w, i) => {
    const secret = env.secret?.(w.secretEnv);
    if (secret === undefined || secret === '') throw new CoreError('CORE_CONFIG_INVALID', `registry.webhooks[${i}] names secretEnv ${w.secretEnv}, which is not set: export it (a whsec_… secret) or remove the webhook`);
    return { url: w.url, secret, events: w.events };
  });
  const notify =
    targets.length === 0
      ? undefined
      : webhookNotifier(targets, { attempts: cfg.webhookAttempts, backoffMs: cfg.webhookBackoffMs }, async (d, event) => {
          io.stderr(`palisade: warning: webhook ${d.url} did not accept ${event.type} after ${d.attempts} attempts (${d.error ?? `HTTP ${d.status ?? '?'}`})\n`);
          await rt.log.record({ type: 'webhook.failed', actor: rt.actor, subject: event.subject, data: { url: d.url, id: d.id, event: event.type, attempts: d.attempts, status: d.status ?? null, error: d.error ?? null } });
        });
  return { store: rt.store, log: rt.log, config: cfg, home: rt.home, scanAllow: rt.config.scan.allow, ...(notify === undefined ? {} : { notify }) };
}

/** `--json`, `--config` and `--store` on a command. */
export const storeOptions = (c: Command): Command => c.option('--json', 'print JSON').option('--config <file>', 'config file').option('--store <url>', 'postgres://… or a SQLite file');

/** Runs `fn` with a runtime and the registry's dependencies; the exit code is what `fn` returns. */
export async function withRegistry(io: Io, env: Env, flags: StoreFlags, fn: (deps: RegistryDeps, rt: Runtime) => Promise<number>): Promise<number> {
  return withRuntime(io, env, flags, (rt) => fn(registryDeps(rt, io, env), rt));
}

/** Prints JSON or text. */
export const out = (io: Io, json: boolean | undefined, value: unknown, text: string): void => io.stdout(json === true ? JSON.stringify(value, null, 2) + '\n' : text.endsWith('\n') || text === '' ? text : text + '\n');

/** A command action's runner: `withRegistry`, then the exit code it returns. */
export const registryAction =
  (io: Io, env: Env, setCode: (c: number) => void) =>
  (f: StoreFlags, fn: (deps: RegistryDeps, rt: Runtime) => Promise<number>): Promise<void> =>
    withRegistry(io, env, f, fn).then(setCode);
