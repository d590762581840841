import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AccessError, authenticate, type Principal } from '../access/index.js';
import { BaseError } from '../core/errors.js';
import type { RegistryDeps } from '../registry/index.js';
import { ControlError } from './errors.js';
import { runOperation } from './operation.js';
import { allOperations } from './operations.js';


export interface ControlPlaneOptions {
  /** The registry's dependencies (the server's store, audit log, registry config and webhooks). */
  deps: RegistryDeps;
  /** Largest request body (default 256 KiB: the biggest input is a PEM chain for `trust add`). */
  bodyLimitBytes?: number;
  /** Told about failures that are the server's own (a 500), never about the caller's mistakes. */
  onInternalError?: (err: unknown) => void;
}

/** HTTP status by error code; any other Palisade error is the caller's input (400), anything else is ours (500). */
const STATUS: Record<string, number> = {
  ACCESS_TOKEN_INVALID: 401,
  ACCESS_DENIED: 403,
  CONTROL_NOT_FOUND: 404,
  REGISTRY_VERSION_NOT_FOUND: 404,
  ACCESS_USER_NOT_FOUND: 404,
  GATEWAY_APIKEY_NOT_FOUND: 404,
  AUDIT_NOT_FOUND: 404,
  REGISTRY_VERSION_EXISTS: 409,
  CONTROL_REQUEST_TOO_LARGE: 413,
  CONTROL_INTERNAL: 500,
  ACCESS_POLICY_FAILED: 500,
  AUDIT_KEY_ROTATED: 503,
  STORE_CONNECT_FAILED: 503,
};

const send = (reply: FastifyReply, code: string, message: string): FastifyReply => {
  const status = STATUS[code] ?? 400;
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="palisade-control"');
  return reply.code(status).header('cache-control', 'no-store').type('application/json').send({ error: { code, message } });
};

const TOKEN_HELP = 'send Authorization: Bearer pu_… (a user token from palisade users create)';

/**
 * The caller's principal from `Authorization: Bearer pu_…`. Only user tokens are accepted here: a gateway key
 * (`pk_`) is refused by name, so a misplaced key is easy to diagnose. Tokens are looked up by their SHA-256, so
 * the lookup's timing says nothing about any stored token.
 */
async function principalOf(deps: RegistryDeps, req: FastifyRequest): Promise<Principal> {
  const h = req.headers.authorization;
  const token = typeof h === 'string' && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '').trim() : undefined;
  if (token === undefined || token === '') throw new AccessError('ACCESS_TOKEN_INVALID', `no user token: ${TOKEN_HELP}`);
  if (token.startsWith('pk_')) throw new AccessError('ACCESS_TOKEN_INVALID', `a gateway API key (pk_) is valid only on the inference API (/v1); the control plane takes user tokens: ${TOKEN_HELP}`);
  try {
    return await authenticate(deps.store, token);
  } catch (err) {
    if (err instanceof AccessError) throw new AccessError('ACCESS_TOKEN_INVALID', `the bearer token is not a valid token of an active user: ${TOKEN_HELP}`);
    throw err;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The control-plane HTTP API as a Fastify plugin, registered by `palisade serve` under `CONTROL_PREFIX`. One
 * route per operation (src/control/operations.ts); every request authenticates a user token and runs the operation
 * the CLI runs, so the same Cedar decision and the same audit entries (with the user as actor) follow. Errors are
 * `{ "error": { "code", "message" } }` with the code of docs/errors.md.
 */
export function controlPlane(opts: ControlPlaneOptions): FastifyPluginAsync {
  const bodyLimit = opts.bodyLimitBytes ?? 256 * 1024;
  return async (app) => {
    app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
      if (err instanceof BaseError) {
        if ((STATUS[err.code] ?? 400) >= 500) opts.onInternalError?.(err);
        return send(reply, err.code, err.message);
      }
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, 'CONTROL_REQUEST_TOO_LARGE', `the request body is over ${bodyLimit} bytes`);
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return send(reply, 'CONTROL_REQUEST_INVALID', 'send the request body as application/json');
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return send(reply, 'CONTROL_REQUEST_INVALID', `the request body is not valid JSON: ${err.message}`);
      opts.onInternalError?.(err);
      return send(reply, 'CONTROL_INTERNAL', 'the control plane failed to handle this request; the server log has the cause');
    });
    app.setNotFoundHandler((req, reply) => send(reply, 'CONTROL_NOT_FOUND', `no control-plane endpoint ${req.method} ${req.url.split('?')[0]!.slice(0, 200)} (see docs/design.md, "The control plane")`));

    for (const op of allOperations()) {
      app.route({
        method: op.method,
        url: op.path,
        bodyLimit,
        handler: async (req, reply) => {
          const principal = await principalOf(opts.deps, req);
          const body = req.body ?? {};
          if (!isPlainObject(body)) throw new ControlError('CONTROL_REQUEST_INVALID', 'the request body must be a JSON object');
          // Path parameters last: a body cannot redirect an action to another resource than the URL names.
          const raw = { ...(req.query as Record<string, unknown>), ...body, ...(req.params as Record<string, unknown>) };
          const result = await runOperation(op, { deps: opts.deps, principal }, raw);
          return reply.header('cache-control', 'no-store').send(result);
        },
      });
    }
  };
}
