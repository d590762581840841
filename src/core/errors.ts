/**
 * Every layer has one error class with a literal union of stable codes (`LAYER_SUBJECT_PROBLEM`).
 * Codes are API: never rename or reuse one, and list each in docs/errors.md (a test checks).
 */
export class BaseError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export type CoreErrorCode =
  | 'CORE_CONFIG_NOT_FOUND'
  | 'CORE_CONFIG_INVALID'
  | 'CORE_CONFIG_UNSAFE'
  | 'CORE_HOME_NOT_FOUND'
  | 'CORE_HOME_UNSAFE'
  | 'CORE_USAGE';

/** Config, home and usage problems. The CLI maps every CoreError to exit code 2. */
export class CoreError extends BaseError<CoreErrorCode> {}
