import type { Command } from 'commander';
import { callServer, parseServer } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { runOperation, type Operation } from '../control/operation.js';
import { CoreError } from '../core/errors.js';
import type { Env } from './env.js';
import type { Io } from './io.js';
import { out, registryDeps, storeOptions } from './registry-deps.js';
import { withRuntime, type StoreFlags } from './runtime.js';

/** Flags of a command that runs on a local home or, with `--server`, on a control-plane server. */
export interface RemoteFlags extends StoreFlags {
  server?: string;
}

/** `--json`, `--config`, `--store` and `--server` on a command. */
export const remoteOptions = (c: Command): Command => storeOptions(c).option('--server <url>', 'act on this palisade serve control plane as the user in PALISADE_TOKEN (default: $PALISADE_SERVER)');

/**
 * Runs a control-plane operation: on the server named by `--server` (else PALISADE_SERVER) as the user whose token
 * is in PALISADE_TOKEN, or on the local home as its principal. Both paths validate the same input and run the same
 * code (the server runs it too), so the result, and what is printed from it, are the same.
 */
export async function invoke<I, R>(io: Io, env: Env, f: RemoteFlags, op: Operation<I, R>, input: I): Promise<R> {
  const url = f.server ?? env.server;
  if (url === undefined) return withRuntime(io, env, f, (rt) => runOperation(op, { deps: registryDeps(rt, io, env, { webhooks: op.sendsWebhooks !== false }), principal: rt.principal }, input));
  if (f.store !== undefined || f.config !== undefined) throw new CoreError('CORE_USAGE', '--store and --config choose a local home; with --server (or PALISADE_SERVER) the server uses its own: drop one of them');
  const server = parseServer(url);
  if (server.cleartext) io.stderr(`palisade: warning: ${server.base} is plain http to another host: the token crosses the network unencrypted; put TLS in front of palisade serve\n`);
  return callServer(server, env.token, op, input);
}

/** How a command shows an operation's result: text (else `--json` prints the result), an optional note on stderr, the exit code. */
export interface Presenter<R> {
  text: (r: R) => string;
  /** Printed on stderr in text mode only (e.g. "shown only now" beside a token on stdout). */
  note?: (r: R) => string;
  /** 0 unless the result says otherwise (a blocked promotion, a failed playbook step: 1). */
  exit?: (r: R) => number;
}

/** A command action's runner: `invoke`, print the result as text or JSON, set the exit code. */
export const controlAction =
  (io: Io, env: Env, setCode: (c: number) => void) =>
  async <I, R>(f: RemoteFlags, op: Operation<I, R>, input: I, show: Presenter<R> | Presenter<R>['text']): Promise<void> => {
    const r = await invoke(io, env, f, op, input);
    const p: Presenter<R> = typeof show === 'function' ? { text: show } : show;
    out(io, f.json, r, p.text(r));
    if (f.json !== true && p.note !== undefined) io.stderr(p.note(r));
    setCode(p.exit?.(r) ?? 0);
  };

/**
 * Refuses a command that has no server form while PALISADE_SERVER is set, rather than silently acting on a local
 * home the user did not mean.
 */
export function localOnly(env: Env, what: string, instead: string): void {
  if (env.server !== undefined) throw new ControlError('CONTROL_LOCAL_ONLY', `${what} runs on a local home only, and PALISADE_SERVER is set: ${instead}, or unset PALISADE_SERVER for this command`);
}
