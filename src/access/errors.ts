import { BaseError } from '../core/errors.js';

export type AccessErrorCode = 'ACCESS_DENIED' | 'ACCESS_TOKEN_INVALID' | 'ACCESS_USER_INVALID' | 'ACCESS_USER_NOT_FOUND' | 'ACCESS_POLICY_FAILED';

/** A refused action as `authorize` saw it: who, in which role, tried what on which resource, and what decided. */
export interface Denial {
  actor: string;
  role: string;
  action: string;
  /** The resource as an audit subject, e.g. `alias:fraud@production`, `model:fraud@1.0.0`, `user:mallory`. */
  resource: string;
  /** The forbids that denied it; none when no policy permits the role the action. */
  policies: string[];
}

/** Who may do what: an unknown or malformed token, a denied action, a bad user spec, a policy engine failure. */
export class AccessError extends BaseError<AccessErrorCode> {
  /** Set on the ACCESS_DENIED of `authorize`: what the control plane records in the audit log. */
  denial?: Denial;
}
