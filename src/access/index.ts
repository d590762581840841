/** Least privilege for the control plane: users and service accounts with roles, decided by Cedar policies. */
export { AccessError, type AccessErrorCode, type Denial } from './errors.js';
export { authenticate, createUser, disableUser, hasUsers, isRole, listUsers, ROLES, type Principal, type Role, type UserRecord } from './users.js';
export { ACTIONS, POLICIES, type Action } from './policies.js';
export { CEDAR_SCHEMA } from './schema.js';
export { authorize, decide, type Decision, type Resource } from './authorize.js';
