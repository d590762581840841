import { createRequire } from 'node:module';
import type * as Cedar from '@cedar-policy/cedar-wasm/nodejs';
import { AccessError } from './errors.js';
import { POLICIES, type Action } from './policies.js';
import type { Principal } from './users.js';

/** What an action is done to, with the attributes the policies read. */
export interface Resource {
  type: 'Model' | 'ModelVersion' | 'Alias' | 'Dataset' | 'Keys' | 'Audit' | 'Users' | 'Trust' | 'Incident';
  id: string;
  /** The actor who registered a version (the two-person rule compares it with the principal). */
  registrant?: string;
  frozen?: boolean;
  protected?: boolean;
}

export interface Decision {
  allowed: boolean;
  /** Ids of the policies that decided: the permits that allowed, or the forbids that denied (none: no permit). */
  policies: string[];
}

const POLICY_SET = 'palisade-v1';
let engine: typeof Cedar | undefined;

/**
 * Loads Cedar and parses the policies, once per process, on the first decision: compiling the WebAssembly module
 * takes a few hundred milliseconds that commands making no decision (scan, sign) should not pay. The Node build
 * is CommonJS and instantiates synchronously, so `require` keeps `decide` synchronous.
 */
function cedar(): typeof Cedar {
  if (engine !== undefined) return engine;
  const loaded = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof Cedar;
  const r = loaded.preparsePolicySet(POLICY_SET, { staticPolicies: POLICIES });
  if (r.type === 'failure') throw new AccessError('ACCESS_POLICY_FAILED', `the built-in policies do not parse: ${r.errors.map((e) => e.message).join('; ')}`);
  engine = loaded;
  return engine;
}

const user = (id: string): { type: string; id: string } => ({ type: 'Palisade::User', id });

/** Asks Cedar whether `principal` may do `action` to `resource`. Deny by default: no matching permit is a denial. */
export function decide(principal: Principal, action: Action, resource: Resource): Decision {
  const attrs: Record<string, Cedar.CedarValueJson> = {};
  if (resource.registrant !== undefined) attrs.registrant = { __entity: user(resource.registrant) };
  if (resource.frozen !== undefined) attrs.frozen = resource.frozen;
  if (resource.protected !== undefined) attrs.protected = resource.protected;
  const resUid = { type: `Palisade::${resource.type}`, id: resource.id };
  const answer = cedar().statefulIsAuthorized({
    principal: user(principal.id),
    action: { type: 'Palisade::Action', id: action },
    resource: resUid,
    context: {},
    preparsedPolicySetId: POLICY_SET,
    entities: [
      { uid: user(principal.id), attrs: {}, parents: [{ type: 'Palisade::Role', id: principal.role }] },
      { uid: resUid, attrs, parents: [] },
    ],
  });
  if (answer.type === 'failure' || answer.response.diagnostics.errors.length > 0) {
    const errors = answer.type === 'failure' ? answer.errors : answer.response.diagnostics.errors.map((e) => e.error);
    throw new AccessError('ACCESS_POLICY_FAILED', `the policy engine could not decide ${action} on ${resource.type} ${resource.id}: ${errors.map((e) => e.message).join('; ')}`);
  }
  return { allowed: answer.response.decision === 'allow', policies: [...answer.response.diagnostics.reason].sort() };
}

const WHY: Record<string, string> = {
  'only-reviewers-approve': 'only a security-reviewer may approve',
  'no-self-approval': 'the two-person rule forbids approving a version you registered',
  'frozen-model': 'the model is frozen by an open incident',
  'protected-alias': 'a protected alias moves only through promote (the gates) or rollback',
};

/** The audit-log subject kinds of the resource types, as the layers that record changes to them write them. */
const SUBJECT_KIND: Record<Resource['type'], string> = { Model: 'model', ModelVersion: 'model', Alias: 'alias', Dataset: 'dataset', Keys: 'apikeys', Audit: 'audit', Users: 'user', Trust: 'trust', Incident: 'incident' };

/** A resource as an audit subject (`kind:id`, bounded; an id that cannot be one is recorded as `-`). */
function subjectOf(r: Resource): string {
  const id = /^\S/.test(r.id) ? r.id.slice(0, 400) : '-';
  return `${SUBJECT_KIND[r.type]}:${id}`;
}

/** `decide`, throwing ACCESS_DENIED naming the principal, role, action and the deciding policy. */
export function authorize(principal: Principal, action: Action, resource: Resource): void {
  const d = decide(principal, action, resource);
  if (d.allowed) return;
  const why = d.policies.length > 0 ? d.policies.map((p) => `${WHY[p] ?? p} (policy ${p})`).join('; ') : `no policy permits the ${principal.role} role to ${action}`;
  const err = new AccessError('ACCESS_DENIED', `${principal.id} (${principal.role}) may not ${action} ${resource.type.toLowerCase()} ${resource.id}: ${why}`);
  err.denial = { actor: principal.id, role: principal.role, action, resource: subjectOf(resource), policies: d.policies };
  throw err;
}
