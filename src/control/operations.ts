import { apikeyOps, trustOps, userOps } from './ops-admin.js';
import { auditOps } from './ops-audit.js';
import { datasetOps, incidentOps, modelOps } from './ops-registry.js';
import { defineOperation, type Operation } from './operation.js';
import { z } from 'zod';

const whoami = defineOperation({
  method: 'GET',
  path: '/whoami',
  sendsWebhooks: false,
  input: z.strictObject({}),
  run: ({ principal }) => Promise.resolve({ ...principal }),
});

/** Every control-plane operation, by area: what the HTTP API serves and what the CLI runs locally or remotely. */
export const OPERATIONS = {
  whoami,
  model: modelOps,
  dataset: datasetOps,
  incident: incidentOps,
  users: userOps,
  apikeys: apikeyOps,
  trust: trustOps,
  audit: auditOps,
};

/** The operations as a flat list (the server registers one route each). */
export function allOperations(): Operation<unknown, unknown>[] {
  const out: Operation<unknown, unknown>[] = [];
  for (const v of Object.values(OPERATIONS)) {
    if ('path' in v) out.push(v as Operation<unknown, unknown>);
    else out.push(...(Object.values(v) as Operation<unknown, unknown>[]));
  }
  return out;
}
