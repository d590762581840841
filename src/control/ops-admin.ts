import { z } from 'zod';
import { authorize, createUser, disableUser, listUsers, type UserRecord } from '../access/index.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../gateway/api-keys.js';
import { addTrust, listTrust, removeTrust } from '../registry/index.js';
import { defineOperation, flag, name, whole } from './operation.js';

export const userOps = {
  create: defineOperation({
    method: 'POST',
    path: '/users',
    sendsWebhooks: false,
    // The role is checked by createUser, after the permission: an unknown role is ACCESS_USER_INVALID on both paths.
    input: z.strictObject({ name, role: name, service: flag.default(false) }),
    /** The token is in the result once; only its SHA-256 is stored. */
    run: async ({ deps, principal }, i): Promise<{ token: string } & UserRecord> => {
      authorize(principal, 'manageUsers', { type: 'Users', id: i.name });
      const { token, user } = await createUser(deps.store, { name: i.name, role: i.role, kind: i.service ? 'service' : 'user', createdBy: principal.id });
      await deps.log.record({ type: 'user.created', actor: principal.id, subject: `user:${i.name}`, data: { role: user.role, kind: user.kind } });
      return { token, ...user };
    },
  }),
  list: defineOperation({
    method: 'GET',
    path: '/users',
    sendsWebhooks: false,
    input: z.strictObject({}),
    run: async ({ deps, principal }) => {
      authorize(principal, 'read', { type: 'Users', id: '*' });
      return listUsers(deps.store);
    },
  }),
  disable: defineOperation({
    method: 'POST',
    path: '/users/:name/disable',
    sendsWebhooks: false,
    input: z.strictObject({ name }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'manageUsers', { type: 'Users', id: i.name });
      const u = await disableUser(deps.store, i.name);
      await deps.log.record({ type: 'user.disabled', actor: principal.id, subject: `user:${i.name}`, data: { role: u.role } });
      return u;
    },
  }),
};

const KEYS = { type: 'Keys', id: 'apikeys' } as const;

export const apikeyOps = {
  create: defineOperation({
    method: 'POST',
    path: '/apikeys',
    sendsWebhooks: false,
    input: z.strictObject({ name, models: z.array(name).max(1000), rpm: whole(1).optional(), tpm: whole(1).optional(), expiresAt: z.iso.datetime({ offset: true }).optional() }),
    /** The key is in the result once; only its SHA-256 is stored. */
    run: async ({ deps, principal }, i): Promise<{ key: string } & ApiKeyRecord> => {
      authorize(principal, 'manageKeys', KEYS);
      const { key, record } = await createApiKey(deps.store, { name: i.name, models: i.models, ...(i.rpm === undefined ? {} : { rpm: i.rpm }), ...(i.tpm === undefined ? {} : { tpm: i.tpm }), ...(i.expiresAt === undefined ? {} : { expiresAt: new Date(i.expiresAt) }), createdBy: principal.id });
      await deps.log.record({ type: 'apikey.created', actor: principal.id, subject: `apikey:${record.id}`, data: { name: record.name, models: record.models, rpm: record.rpm ?? null, tpm: record.tpm ?? null, expiresAt: record.expiresAt ?? null } });
      return { key, ...record };
    },
  }),
  list: defineOperation({
    method: 'GET',
    path: '/apikeys',
    sendsWebhooks: false,
    input: z.strictObject({}),
    run: async ({ deps, principal }) => {
      authorize(principal, 'readKeys', KEYS);
      return listApiKeys(deps.store);
    },
  }),
  revoke: defineOperation({
    method: 'POST',
    path: '/apikeys/:id/revoke',
    sendsWebhooks: false,
    input: z.strictObject({ id: name }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'manageKeys', KEYS);
      const k = await revokeApiKey(deps.store, i.id);
      await deps.log.record({ type: 'apikey.revoked', actor: principal.id, subject: `apikey:${k.id}`, data: { name: k.name } });
      return k;
    },
  }),
};

export const trustOps = {
  add: defineOperation({
    method: 'POST',
    path: '/trust',
    // A PEM key or certificate is a few KiB, a Sigstore trusted_root.json under 10 KiB; 64 KiB leaves room for a
    // chain or a larger root without letting a body grow unbounded. Either a PEM, or a keyless identity and issuer.
    input: z
      .strictObject({
        name,
        pem: z.string().min(1).max(65_536).optional(),
        identity: z.string().min(1).max(1024).optional(),
        issuer: z.string().min(1).max(1024).optional(),
        trustedRoot: z.string().min(1).max(65_536).optional(),
      })
      .refine((i) => (i.pem !== undefined) !== (i.identity !== undefined || i.issuer !== undefined || i.trustedRoot !== undefined), {
        message: 'give either a PEM file, or --identity and --issuer (keyless), not both',
      })
      .refine((i) => i.pem !== undefined || (i.identity !== undefined && i.issuer !== undefined), {
        message: '--identity and --issuer go together: a keyless signer is trusted by both',
      }),
    run: ({ deps, principal }, i) =>
      addTrust(deps, principal, i.name, i.pem ?? { identity: i.identity!, issuer: i.issuer!, ...(i.trustedRoot === undefined ? {} : { trustedRoot: i.trustedRoot }) }),
  }),
  list: defineOperation({
    method: 'GET',
    path: '/trust',
    sendsWebhooks: false,
    input: z.strictObject({}),
    run: ({ deps, principal }) => listTrust(deps, principal),
  }),
  remove: defineOperation({
    method: 'DELETE',
    path: '/trust/:name',
    input: z.strictObject({ name }),
    run: async ({ deps, principal }, i) => {
      await removeTrust(deps, principal, i.name);
      return { removed: i.name };
    },
  }),
};
