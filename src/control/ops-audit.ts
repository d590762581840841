import { z } from 'zod';
import { authorize, decide } from '../access/index.js';
import { checkpointOf, proveConsistency, proveInclusion, searchEntries, type InclusionView } from '../audit/index.js';
import { CoreError } from '../core/errors.js';
import { defineOperation, name, whole } from './operation.js';

const LOG = { type: 'Audit', id: 'log' } as const;

export const auditOps = {
  record: defineOperation({
    method: 'POST',
    path: '/audit/entries',
    sendsWebhooks: false,
    // The data is checked, not copied: a copy would drop keys such as `__proto__` that the entry must keep verbatim.
    input: z.strictObject({ type: name, subject: name, actor: name.optional(), data: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a JSON object').default({}) }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, i.actor === undefined ? 'recordAudit' : 'recordOnBehalf', LOG);
      // On behalf of: the entry names the actor given, and who recorded it (an admin) rides along in the data.
      const data = i.actor === undefined ? i.data : { ...i.data, recordedBy: principal.id };
      const r = await deps.log.record({ type: i.type, actor: i.actor ?? principal.id, subject: i.subject, data });
      return { index: r.index, leafHash: r.leafHash, time: r.time, checkpointSize: r.checkpointSize };
    },
  }),
  checkpoint: defineOperation({
    method: 'GET',
    path: '/audit/checkpoint',
    sendsWebhooks: false,
    input: z.strictObject({}),
    run: async ({ deps, principal }) => {
      authorize(principal, 'verifyAudit', LOG);
      const cp = await checkpointOf(deps.store);
      if (cp === undefined) throw new CoreError('CORE_USAGE', 'the log is empty: record an event first');
      return cp;
    },
  }),
  prove: defineOperation({
    method: 'GET',
    path: '/audit/proof',
    sendsWebhooks: false,
    input: z.strictObject({ index: whole(0), size: whole(0).optional() }),
    /**
     * Anyone who may verify the log gets the proof and the leaf hash; the entry itself (what was done, by whom, to
     * what) only a role that may read the log: a viewer checks an entry it already holds, it does not learn one.
     */
    run: async ({ deps, principal }, i): Promise<Omit<InclusionView, 'entry'> & { entry?: string }> => {
      authorize(principal, 'verifyAudit', LOG);
      const p = await proveInclusion(deps.store, i.index, i.size);
      if (decide(principal, 'readAudit', LOG).allowed) return p;
      const { entry: _withheld, ...rest } = p;
      return rest;
    },
  }),
  consistency: defineOperation({
    method: 'GET',
    path: '/audit/consistency',
    sendsWebhooks: false,
    input: z.strictObject({ from: whole(0), to: whole(0).optional() }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'verifyAudit', LOG);
      return proveConsistency(deps.store, i.from, i.to);
    },
  }),
  tail: defineOperation({
    method: 'GET',
    path: '/audit/tail',
    sendsWebhooks: false,
    input: z.strictObject({ lines: whole(1).default(20) }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'readAudit', LOG);
      return (await searchEntries(deps.store, { limit: i.lines })).reverse();
    },
  }),
  search: defineOperation({
    method: 'GET',
    path: '/audit/entries',
    sendsWebhooks: false,
    input: z.strictObject({
      type: name.optional(),
      actor: name.optional(),
      subject: name.optional(),
      since: z.string().max(64).refine((s) => !Number.isNaN(Date.parse(s)), 'must be a time like 2026-11-01T00:00:00Z').optional(),
      limit: whole(1).default(100),
    }),
    run: async ({ deps, principal }, i) => {
      authorize(principal, 'readAudit', LOG);
      return searchEntries(deps.store, { limit: i.limit, ...(i.type === undefined ? {} : { type: i.type }), ...(i.actor === undefined ? {} : { actor: i.actor }), ...(i.subject === undefined ? {} : { subject: i.subject }), ...(i.since === undefined ? {} : { since: i.since }) });
    },
  }),
};
