/**
 * The control plane's policies, in Cedar. Cedar denies by default, and a matching `forbid` overrides every
 * `permit`: the forbids below hold whatever role a principal has. Each policy's id is what a denial names.
 */
export const ACTIONS = [
  'read',
  'verifyAudit',
  'readAudit',
  'recordAudit',
  'recordOnBehalf',
  'administerAudit',
  'register',
  'registerDataset',
  'promote',
  'setAlias',
  'rollback',
  'approve',
  'reject',
  'manageTrust',
  'manageUsers',
  'readKeys',
  'manageKeys',
  'openIncident',
  'closeIncident',
] as const;
export type Action = (typeof ACTIONS)[number];

const list = (actions: readonly Action[]): string => `[${actions.map((a) => `Palisade::Action::"${a}"`).join(', ')}]`;
const role = (r: string): string => `Palisade::Role::"${r}"`;

export const POLICIES: Record<string, string> = {
  'viewer-reads': `permit (principal in ${role('viewer')}, action in ${list(['read', 'verifyAudit'])}, resource);`,
  'ml-engineer-works': `permit (principal in ${role('ml-engineer')}, action in ${list(['read', 'verifyAudit', 'recordAudit', 'register', 'registerDataset', 'promote', 'setAlias', 'rollback'])}, resource);`,
  'security-reviewer-reviews': `permit (principal in ${role('security-reviewer')}, action in ${list(['read', 'verifyAudit', 'readAudit', 'recordAudit', 'approve', 'reject', 'rollback', 'readKeys', 'openIncident', 'closeIncident'])}, resource);`,
  'admin-administers': `permit (principal in ${role('admin')}, action, resource);`,
  // Approving is the security review itself: only reviewers do it, admins included out (they can grant the role).
  'only-reviewers-approve': `forbid (principal, action == Palisade::Action::"approve", resource) unless { principal in ${role('security-reviewer')} };`,
  // Two-person rule: whoever registered a version never approves it.
  'no-self-approval': `forbid (principal, action == Palisade::Action::"approve", resource) when { resource has registrant && resource.registrant == principal };`,
  // A frozen model (an open incident) takes no promotion and no alias move until the incident is closed.
  'frozen-model': `forbid (principal, action in ${list(['promote', 'setAlias'])}, resource) when { resource has frozen && resource.frozen };`,
  // A protected alias moves only through the promotion gates (promote) or back (rollback), never by hand.
  'protected-alias': `forbid (principal, action == Palisade::Action::"setAlias", resource) when { resource has protected && resource.protected };`,
};
