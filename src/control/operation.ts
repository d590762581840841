import { z } from 'zod';
import { AccessError, type Principal } from '../access/index.js';
import type { RegistryDeps } from '../registry/index.js';
import { ControlError } from './errors.js';

/** Where `palisade serve` mounts the control plane's HTTP API, beside the inference API's `/v1`; operation paths are under it. */
export const CONTROL_PREFIX = '/control/v1';

/** What an operation acts with: the registry's dependencies (store, log, config) and who is acting. */
export interface OperationContext {
  deps: RegistryDeps;
  principal: Principal;
}

/**
 * One control-plane action, defined once and run the same way by the CLI on a local home and by the HTTP API:
 * the input is validated by the same schema and the action calls the same registry and access functions, so both
 * paths make the same Cedar decision and record the same audit entries. The result is plain JSON (what `--json`
 * prints and what the API returns).
 */
export interface Operation<I, R> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Under the control prefix; `:field` segments carry those input fields. */
  path: string;
  input: z.ZodType<I>;
  /**
   * False for an action that sends no registry webhooks, so the CLI does not ask for their secrets. Left out, the
   * action may send some: the secrets are required before it acts (forgetting this field fails safe).
   */
  sendsWebhooks?: false;
  run(ctx: OperationContext, input: I): Promise<R>;
}

export const defineOperation = <I, R>(op: Operation<I, R>): Operation<I, R> => op;

/** Validates raw input against the operation's schema; the first problem is named with its field. */
export function parseInput<I>(op: Operation<I, unknown>, raw: unknown): I {
  const r = op.input.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length === 0 ? 'the request' : issue.path.join('.');
  throw new ControlError('CONTROL_REQUEST_INVALID', `${where}: ${issue.message}`);
}

/**
 * Runs an operation on validated input. An action the policies refuse is recorded (`access.denied`: who, in which
 * role, what, on which resource, the deciding policies) before the refusal is returned: attempts belong in the record
 * of who changed what as much as changes do.
 */
export async function runOperation<I, R>(op: Operation<I, R>, ctx: OperationContext, raw: unknown): Promise<R> {
  const input = parseInput(op, raw);
  try {
    return await op.run(ctx, input);
  } catch (err) {
    if (err instanceof AccessError && err.denial !== undefined) {
      const d = err.denial;
      // The refusal is what the caller must see, never an error of recording it (a log that cannot record fails the
      // next action that must be recorded).
      try {
        await ctx.deps.log.record({ type: 'access.denied', actor: d.actor, subject: d.resource, data: { operation: `${op.method} ${op.path}`, action: d.action, role: d.role, policies: d.policies } });
      } catch {
        // Left to that next action.
      }
    }
    throw err;
  }
}

// Shared field schemas: every string is bounded, so a hostile body cannot make the server hold a huge one.
export const name = z.string().min(1).max(256);
export const text = z.string().max(4096);
/** A whole number, also as the decimal string a query string carries. */
export const whole = (min: number) => z.union([z.number(), z.string().regex(/^\d{1,15}$/).transform(Number)]).pipe(z.number().int().min(min).max(Number.MAX_SAFE_INTEGER));
/** A boolean, also as the `true`/`false` a query string carries. */
export const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
