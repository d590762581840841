import { authorize, type Principal } from '../access/index.js';
import { aliasResource, moveAlias, type AliasMove } from './aliases.js';
import { emit, nowOf, type RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import { defaultGates, type GateResult } from './gates.js';
import { checkAlias } from './names.js';
import { getVersion } from './versions.js';

export interface PromotionResult {
  name: string;
  version: string;
  alias: string;
  promoted: boolean;
  gates: GateResult[];
  move?: AliasMove;
}

/** The gates configured for an alias (`'*'` for aliases not listed). */
export function gatesFor(deps: RegistryDeps, alias: string): string[] {
  return deps.config.gates[alias] ?? deps.config.gates['*'] ?? [];
}

/**
 * Runs every gate configured for the alias (all of them, so the report names every problem) and moves the alias
 * only if all pass. A failed gate is a result, not an error; a frozen model or a missing permission throws.
 */
export async function promote(deps: RegistryDeps, by: Principal, name: string, version: string, alias: string, reason = 'promotion'): Promise<PromotionResult> {
  checkAlias(alias);
  authorize(by, 'promote', await aliasResource(deps, name, alias));
  const v = await getVersion(deps, 'model', name, version);
  const gates = deps.gates ?? defaultGates();
  const names = gatesFor(deps, alias);
  const chosen = names.map((n) => gates.get(n));
  const results: GateResult[] = [];
  if (v.state === 'rejected') results.push({ gate: 'review', ok: false, reason: 'rejected by a security reviewer (final for this version)' });
  for (const g of chosen) {
    const r = await g.check({ deps, version: v, alias });
    results.push({ gate: g.name, ...r });
    const data = { version, alias, gate: g.name, reason: r.reason };
    if (r.ok) await emit(deps, { type: 'model.gate_passed', actor: by.id, subject: `model:${name}`, data });
    else await emit(deps, { type: 'model.gate_failed', actor: by.id, subject: `model:${name}`, data });
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    await emit(deps, { type: 'model.promotion_blocked', actor: by.id, subject: `model:${name}`, data: { version, alias, failed: failed.map((f) => f.gate) } });
    return { name, version, alias, promoted: false, gates: results };
  }
  const move = await moveAlias(deps, { name, alias, to: version, actor: by.id, reason, kind: 'promote' });
  await emit(deps, { type: 'model.promoted', actor: by.id, subject: `model:${name}`, data: { version, alias, from: move.from ?? null, reason, gates: names } });
  return { name, version, alias, promoted: true, gates: results, move };
}

/**
 * Records a security review. Approve needs the security-reviewer role and is never the registrant's (policy
 * `no-self-approval`); reject is final for the version.
 */
export async function review(deps: RegistryDeps, by: Principal, name: string, version: string, decision: 'approve' | 'reject', comment: string): Promise<{ state: string }> {
  const v = await getVersion(deps, 'model', name, version);
  authorize(by, decision, { type: 'ModelVersion', id: `${name}@${version}`, registrant: v.registrant });
  if (comment.trim() === '') throw new RegistryError('REGISTRY_REVIEW_INVALID', 'a review needs a --comment saying why');
  if (v.state === 'rejected') throw new RegistryError('REGISTRY_REVIEW_INVALID', `${name}@${version} was rejected; rejection is final: register a new version`);
  const prior = await deps.store.db.selectFrom('registry_reviews').select('decision').where('name', '=', name).where('version', '=', version).where('reviewer', '=', by.id).executeTakeFirst();
  if (prior !== undefined) throw new RegistryError('REGISTRY_REVIEW_INVALID', `${by.id} already reviewed ${name}@${version} (${prior.decision}); one review per reviewer`);
  const at = nowOf(deps).toISOString();
  let state: string = v.state;
  await deps.store.db.transaction().execute(async (trx) => {
    await trx.insertInto('registry_reviews').values({ name, version, reviewer: by.id, role: by.role, decision, comment, at }).execute();
    const approvals = await trx.selectFrom('registry_reviews').select('reviewer').where('name', '=', name).where('version', '=', version).where('decision', '=', 'approve').where('role', '=', 'security-reviewer').where('reviewer', '!=', v.registrant).execute();
    state = decision === 'reject' ? 'rejected' : approvals.length >= deps.config.approvals ? 'approved' : 'pending';
    await trx.updateTable('registry_versions').set({ state }).where('kind', '=', 'model').where('name', '=', name).where('version', '=', version).execute();
  });
  if (decision === 'approve') await emit(deps, { type: 'model.approved', actor: by.id, subject: `model:${name}`, data: { version, comment, state } });
  else await emit(deps, { type: 'model.rejected', actor: by.id, subject: `model:${name}`, data: { version, comment } });
  return { state };
}
