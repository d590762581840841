import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authorize } from '../access/index.js';
import {
  closeIncident,
  exportCyclonedx,
  getVersion,
  huggingfaceCard,
  listAliases,
  listIncidents,
  listVersions,
  markdownCard,
  missingCardFields,
  ModelCardSchema,
  modelHistory,
  openIncident,
  promote,
  RegistryError,
  resolveAlias,
  review,
  rollback,
  setAlias,
  type VersionRecord,
} from '../registry/index.js';
import { defineOperation, name, text } from './operation.js';

/** A version as reported: whether a signature and attestation were given, not their bytes. */
export type VersionView = Omit<VersionRecord, 'signature' | 'attestation'> & { signature: boolean; attestation: boolean };
const view = (v: VersionRecord): VersionView => ({ ...v, signature: v.signature !== null, attestation: v.attestation !== null });

/** A security review: approve (never one's own version) or reject (final for the version). */
const reviewOp = (decision: 'approve' | 'reject') =>
  defineOperation({
    method: 'POST',
    path: `/models/:name/versions/:version/${decision}`,
    input: z.strictObject({ name, version: name, comment: text }),
    run: async ({ deps, principal }, i): Promise<{ name: string; version: string; decision: 'approve' | 'reject'; state: string }> => ({ name: i.name, version: i.version, decision, ...(await review(deps, principal, i.name, i.version, decision, i.comment)) }),
  });

export interface ModelListRow {
  name: string;
  version: string;
  rootDigest: string;
  state: string;
  endpoint: string | null;
  aliases: string[];
}

export const modelOps = {
  list: defineOperation({
    method: 'GET',
    path: '/models',
    sendsWebhooks: false,
    input: z.strictObject({ name: name.optional() }),
    run: async ({ deps, principal }, i): Promise<ModelListRow[]> => {
      authorize(principal, 'read', { type: 'Model', id: i.name ?? '*' });
      const versions = await listVersions(deps, 'model', i.name);
      const names = [...new Set(versions.map((v) => v.name))];
      const aliases = new Map(await Promise.all(names.map(async (n) => [n, await listAliases(deps, n)] as const)));
      return versions.map((v) => ({ name: v.name, version: v.version, rootDigest: v.rootDigest, state: v.state, endpoint: v.endpoint ?? null, aliases: aliases.get(v.name)!.filter((a) => a.version === v.version).map((a) => a.alias) }));
    },
  }),
  show: defineOperation({
    method: 'GET',
    path: '/models/:name/versions/:at',
    sendsWebhooks: false,
    input: z.strictObject({ name, at: name }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'read', { type: 'Model', id: i.name });
      const r = await resolveAlias(deps, i.name, i.at);
      return view(await getVersion(deps, 'model', i.name, r.version));
    },
  }),
  resolve: defineOperation({
    method: 'GET',
    path: '/models/:name/aliases/:alias',
    sendsWebhooks: false,
    input: z.strictObject({ name, alias: name }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'read', { type: 'Model', id: i.name });
      return resolveAlias(deps, i.name, i.alias);
    },
  }),
  card: defineOperation({
    method: 'GET',
    path: '/models/:name/versions/:version/card',
    sendsWebhooks: false,
    input: z.strictObject({ name, version: name, format: z.enum(['cyclonedx', 'huggingface', 'markdown']).default('markdown') }),
    run: async ({ deps, principal }, i): Promise<{ format: string; text: string }> => {
      authorize(principal, 'read', { type: 'Model', id: i.name });
      const v = await getVersion(deps, 'model', i.name, i.version);
      const card = ModelCardSchema.safeParse(v.card);
      if (!card.success) throw new RegistryError('REGISTRY_EXPORT_INVALID', `${i.name}@${i.version}'s card is incomplete (missing ${missingCardFields(v.card).join(', ')}); only a complete card is exported`);
      const subject = { name: i.name, version: i.version, rootDigest: v.rootDigest, card: card.data };
      const out = i.format === 'cyclonedx' ? JSON.stringify(exportCyclonedx(subject, randomUUID(), new Date()), null, 2) + '\n' : i.format === 'huggingface' ? huggingfaceCard(subject) : markdownCard(subject);
      return { format: i.format, text: out };
    },
  }),
  history: defineOperation({
    method: 'GET',
    path: '/models/:name/history',
    sendsWebhooks: false,
    input: z.strictObject({ name }),
    run: ({ deps, principal }, i) => modelHistory(deps, principal, i.name),
  }),
  promote: defineOperation({
    method: 'POST',
    path: '/models/:name/versions/:version/promote',
    input: z.strictObject({ name, version: name, to: name, reason: text.default('promotion') }),
    run: ({ deps, principal }, i) => promote(deps, principal, i.name, i.version, i.to, i.reason),
  }),
  approve: reviewOp('approve'),
  reject: reviewOp('reject'),
  rollback: defineOperation({
    method: 'POST',
    path: '/models/:name/rollback',
    input: z.strictObject({ name, alias: name.default('production'), reason: text.default('rollback') }),
    run: ({ deps, principal }, i) => rollback(deps, principal, i.name, i.alias, i.reason),
  }),
  alias: defineOperation({
    method: 'POST',
    path: '/models/:name/aliases/:alias',
    input: z.strictObject({ name, alias: name, version: name, reason: text }),
    run: ({ deps, principal }, i) => setAlias(deps, principal, i.name, i.version, i.alias, i.reason),
  }),
};

export interface DatasetListRow {
  name: string;
  version: string;
  rootDigest: string;
  path: string;
}

export const datasetOps = {
  list: defineOperation({
    method: 'GET',
    path: '/datasets',
    sendsWebhooks: false,
    input: z.strictObject({ name: name.optional() }),
    run: async ({ deps, principal }, i): Promise<DatasetListRow[]> => {
      authorize(principal, 'read', { type: 'Dataset', id: i.name ?? '*' });
      return (await listVersions(deps, 'dataset', i.name)).map((v) => ({ name: v.name, version: v.version, rootDigest: v.rootDigest, path: v.path }));
    },
  }),
};

export const incidentOps = {
  open: defineOperation({
    method: 'POST',
    path: '/incidents',
    input: z.strictObject({ model: name, reason: text }),
    run: ({ deps, principal }, i) => openIncident(deps, principal, i.model, i.reason),
  }),
  close: defineOperation({
    method: 'POST',
    path: '/incidents/:id/close',
    input: z.strictObject({ id: name, comment: text.default('closed') }),
    run: ({ deps, principal }, i) => closeIncident(deps, principal, i.id, i.comment),
  }),
  list: defineOperation({
    method: 'GET',
    path: '/incidents',
    sendsWebhooks: false,
    input: z.strictObject({}),
    run: ({ deps, principal }) => listIncidents(deps, principal),
  }),
};
