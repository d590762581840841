/** The inference layer's gateway: OpenAI-compatible proxy, API keys, limits, canary routing, request audit. */
export { LISTEN_BACKLOG, buildGateway, type GatewayDeps } from './server.js';
export { ApiKeyIndex, createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord, type NewApiKey, type AuthResult } from './api-keys.js';
export { MemoryLimiter, type Limiter, type LimitCheck, type Reservation } from './limits.js';
export { RedisLimiter, type RedisLimiterOptions } from './redis-limits.js';
export { GatewayMetrics } from './metrics.js';
export { canaryBucket, CanaryWindow } from './routing.js';
export { SseSplitter } from './sse.js';
export { SEEN_KEPT, startDemoUpstream, type DemoUpstream } from './demo-upstream.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export { guardInput, guardOutputText, heldTail, StreamGuard, warmGuards, type GatewayGuards, type GuardNote, type InputResult } from './guarding.js';
