import { authorize, type Principal } from '../access/index.js';
import { searchEntries, type EntryView } from '../audit/index.js';
import type { RegistryDeps } from './deps.js';
import { checkName } from './names.js';

/**
 * A model's history, read from the audit log (so it is as tamper-evident as the log): registrations, gate results,
 * reviews, promotions and rollbacks, oldest first — the newest 10,000 (the search's cap), gateway requests left out.
 */
export async function modelHistory(deps: RegistryDeps, by: Principal, name: string): Promise<EntryView[]> {
  authorize(by, 'read', { type: 'Model', id: checkName(name) });
  const entries = await searchEntries(deps.store, { subject: `model:${name}`, skipTypePrefix: 'gateway.', limit: 10_000 });
  return entries.reverse();
}
