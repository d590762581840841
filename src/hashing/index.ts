/** The hashing engine shared by model signing (OMS) and dataset manifests: listing, parallel hashing, ordering. */
export { HashingError, type HashingErrorCode } from './errors.js';
export { compareCodePoints, comparePaths, compareSpans, type Span } from './order.js';
export { canonicalIgnore, DEFAULT_IGNORES, listModel, modelName, type ListedFile, type Listing, type ListOptions } from './walk.js';
export { hashAll, CHUNK_BYTES, type HashResult, type HashTask } from './pool.js';
export {
  DEFAULT_SHARD_SIZE,
  MAX_SHARDS,
  HASH_TYPES,
  rootDigest,
  serializeModel,
  type HashType,
  type Method,
  type Resource,
  type SerializationParams,
  type Serialized,
  type SerializeOptions,
} from './serialize.js';
export { diffResources, isClean, spanOf, type ManifestDiff } from './compare.js';
