import { BaseError } from '../core/errors.js';

/**
 * Gateway setup and administration errors (the CLI maps them to exit 2). Errors on the request path are HTTP
 * responses in the OpenAI error shape instead (http-errors.ts). Keep the union free of comments: the docs test reads
 * it with a regular expression.
 */
export type GatewayErrorCode = 'GATEWAY_APIKEY_INVALID' | 'GATEWAY_APIKEY_NOT_FOUND' | 'GATEWAY_CONFIG_INVALID' | 'GATEWAY_LISTEN_FAILED';

export class GatewayError extends BaseError<GatewayErrorCode> {}
