import { randomBytes } from 'node:crypto';
import { authorize, type Principal } from '../access/index.js';
import { revokeApiKey } from '../gateway/api-keys.js';
import { lastKnownGood, moveAlias, withNextSeq } from './aliases.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { checkName } from './names.js';

export interface IncidentStep {
  step: 'freeze' | 'rollback' | 'revoke-key' | 'notify';
  target: string;
  ok: boolean;
  detail: string;
}

export interface Incident {
  id: string;
  model: string;
  reason: string;
  openedBy: string;
  openedAt: string;
  closedBy?: string;
  closedAt?: string;
  steps: IncidentStep[];
}

async function setFrozen(deps: RegistryDeps, model: string, incident: string | null): Promise<void> {
  await withNextSeq(deps, async (trx, seq) => {
    const cur = await trx.selectFrom('registry_models').select('name').where('name', '=', model).executeTakeFirst();
    if (cur === undefined) await trx.insertInto('registry_models').values({ name: model, frozen_by: incident, seq }).execute();
    else await trx.updateTable('registry_models').set({ frozen_by: incident, seq }).where('name', '=', model).execute();
  });
}

/**
 * Opens an incident and runs the configured playbook in order: freeze the model, move the listed aliases back to
 * their last known good version, revoke the listed gateway keys, notify the webhooks. A step that cannot be done
 * is recorded as failed and the rest still run: during an incident, doing most of the playbook beats stopping.
 */
export async function openIncident(deps: RegistryDeps, by: Principal, model: string, reason: string): Promise<Incident> {
  checkName(model);
  authorize(by, 'openIncident', { type: 'Model', id: model });
  if (reason.trim() === '') throw new RegistryError('REGISTRY_INCIDENT_INVALID', 'an incident needs a --reason');
  const known = await deps.store.db.selectFrom('registry_versions').select('name').where('kind', '=', 'model').where('name', '=', model).executeTakeFirst();
  if (known === undefined) throw new RegistryError('REGISTRY_VERSION_NOT_FOUND', `no model ${model} is registered`);
  const id = `inc-${randomBytes(6).toString('hex')}`;
  const p = deps.config.incident;
  const inc: Incident = { id, model, reason, openedBy: by.id, openedAt: nowOf(deps).toISOString(), steps: [] };
  await deps.store.db.insertInto('incidents').values({ id, model, reason, opened_by: by.id, opened_at: inc.openedAt, closed_by: null, closed_at: null, steps: '[]' }).execute();
  await deps.log.record({ type: 'incident.opened', actor: by.id, subject: `incident:${id}`, data: { model, reason, playbook: { ...p } } });
  const step = async (s: IncidentStep): Promise<void> => {
    inc.steps.push(s);
    await deps.log.record({ type: 'incident.step', actor: by.id, subject: `incident:${id}`, data: { ...s } });
  };
  if (p.freeze) {
    await setFrozen(deps, model, id);
    await step({ step: 'freeze', target: `model:${model}`, ok: true, detail: 'no promotion or alias move until the incident is closed' });
  }
  for (const alias of p.rollback) {
    const { current, target } = await lastKnownGood(deps, model, alias);
    if (target === undefined) {
      await step({ step: 'rollback', target: `${model}@${alias}`, ok: false, detail: current === undefined ? 'the alias is not set' : `no earlier good version than ${current}` });
      continue;
    }
    await moveAlias(deps, { name: model, alias, to: target, actor: by.id, reason: `incident ${id}: ${reason}`, kind: 'rollback' });
    await emit(deps, { type: 'model.rolled_back', actor: by.id, subject: `model:${model}`, data: { alias, from: current ?? null, to: target, reason, incident: id } });
    await step({ step: 'rollback', target: `${model}@${alias}`, ok: true, detail: `${current ?? '(none)'} -> ${target}` });
  }
  for (const key of p.revokeKeys) {
    try {
      await revokeApiKey(deps.store, key);
      await step({ step: 'revoke-key', target: `apikey:${key}`, ok: true, detail: 'revoked' });
    } catch (err) {
      await step({ step: 'revoke-key', target: `apikey:${key}`, ok: false, detail: (err as Error).message });
    }
  }
  if (p.notify && deps.notify !== undefined) {
    await deps.notify({ type: 'incident.opened', actor: by.id, subject: `incident:${id}`, data: { model, reason, steps: inc.steps } });
    await step({ step: 'notify', target: 'webhooks', ok: true, detail: 'sent' });
  }
  await deps.store.db.updateTable('incidents').set({ steps: JSON.stringify(inc.steps) }).where('id', '=', id).execute();
  return inc;
}

/** Closes an incident and unfreezes its model (aliases stay where the playbook put them). */
export async function closeIncident(deps: RegistryDeps, by: Principal, id: string, comment: string): Promise<Incident> {
  authorize(by, 'closeIncident', { type: 'Incident', id });
  const row = await deps.store.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new RegistryError('REGISTRY_INCIDENT_INVALID', `no incident has id '${id}' (palisade incident list)`);
  if (row.closed_at !== null) throw new RegistryError('REGISTRY_INCIDENT_INVALID', `incident ${id} was closed at ${row.closed_at}`);
  const at = nowOf(deps).toISOString();
  await deps.store.db.updateTable('incidents').set({ closed_by: by.id, closed_at: at }).where('id', '=', id).execute();
  const frozen = await deps.store.db.selectFrom('registry_models').select('frozen_by').where('name', '=', row.model).executeTakeFirst();
  if (frozen?.frozen_by === id) await setFrozen(deps, row.model, null);
  await emit(deps, { type: 'incident.closed', actor: by.id, subject: `incident:${id}`, data: { model: row.model, comment } });
  return { id, model: row.model, reason: row.reason, openedBy: row.opened_by, openedAt: row.opened_at, closedBy: by.id, closedAt: at, steps: JSON.parse(row.steps) as IncidentStep[] };
}

export async function listIncidents(deps: RegistryDeps, by: Principal): Promise<Incident[]> {
  authorize(by, 'read', { type: 'Incident', id: '*' });
  const rows = await deps.store.db.selectFrom('incidents').selectAll().orderBy('opened_at').execute();
  return rows.map((r) => ({ id: r.id, model: r.model, reason: r.reason, openedBy: r.opened_by, openedAt: r.opened_at, ...(r.closed_by === null ? {} : { closedBy: r.closed_by }), ...(r.closed_at === null ? {} : { closedAt: r.closed_at }), steps: JSON.parse(r.steps) as IncidentStep[] }));
}
