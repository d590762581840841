import { BaseError } from '../core/errors.js';

/**
 * Control-plane transport problems: a request the API cannot accept, a server the CLI cannot use, a command that
 * exists only on a local home. Errors of the action itself keep their own layer's code on both paths. Keep the
 * union free of comments: the docs test reads it with a regular expression.
 */
export type ControlErrorCode = 'CONTROL_REQUEST_INVALID' | 'CONTROL_REQUEST_TOO_LARGE' | 'CONTROL_NOT_FOUND' | 'CONTROL_INTERNAL' | 'CONTROL_SERVER_INVALID' | 'CONTROL_SERVER_UNREACHABLE' | 'CONTROL_RESPONSE_INVALID' | 'CONTROL_LOCAL_ONLY';

export class ControlError extends BaseError<ControlErrorCode> {}

/**
 * An error the control-plane server answered with: its `code` is the server's (one of docs/errors.md), so a caller
 * branches on it exactly as on the local path.
 */
export class RemoteError extends BaseError<string> {
  constructor(
    code: string,
    message: string,
    readonly status: number,
  ) {
    super(code, message);
  }
}
