import { BaseError } from '../core/errors.js';

export type StoreErrorCode = 'STORE_URL_INVALID' | 'STORE_CONNECT_FAILED' | 'STORE_MIGRATION_FAILED';

/** Database problems: a bad store URL, an unreachable server, a failed migration. */
export class StoreError extends BaseError<StoreErrorCode> {}
