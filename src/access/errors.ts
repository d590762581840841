import { BaseError } from '../core/errors.js';

export type AccessErrorCode = 'ACCESS_DENIED' | 'ACCESS_TOKEN_INVALID' | 'ACCESS_USER_INVALID' | 'ACCESS_USER_NOT_FOUND' | 'ACCESS_POLICY_FAILED';

/** Who may do what: an unknown or malformed token, a denied action, a bad user spec, a policy engine failure. */
export class AccessError extends BaseError<AccessErrorCode> {}
