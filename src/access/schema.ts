import { ACTIONS } from './policies.js';

const RESOURCES = ['Model', 'ModelVersion', 'Alias', 'Dataset', 'Keys', 'Audit', 'Users', 'Trust', 'Incident'];

/**
 * The entity types and actions the policies speak of, as a Cedar schema. The policies are validated against it
 * (test/access), so a misspelt attribute or action in a policy fails a test instead of silently never matching.
 */
export const CEDAR_SCHEMA = `namespace Palisade {
  entity Role;
  entity User in [Role];
  entity Model;
  entity ModelVersion { registrant?: User };
  entity Alias { protected?: Bool, frozen?: Bool };
  entity Dataset;
  entity Keys;
  entity Audit;
  entity Users;
  entity Trust;
  entity Incident;
  action ${ACTIONS.map((a) => `"${a}"`).join(', ')} appliesTo { principal: [User], resource: [${RESOURCES.join(', ')}] };
}
`;
