/** Bounds that keep a hostile file from turning a scan into a denial of service. */
export interface ScanLimits {
  /** Containers inside containers (zip in zip in tar …). */
  maxDepth: number;
  /** Members listed per archive before the rest are reported unread. */
  maxMembers: number;
  /** A compressed member is decompressed into memory only up to this size. */
  maxInMemoryBytes: number;
  /** Decompressed bytes a single file may produce across all its members (zip-bomb guard). */
  maxTotalInflated: number;
  /** Declared ratio of uncompressed to compressed size above which a member is a bomb. */
  maxCompressionRatio: number;
  /** Symbolic stack depth and memo entries kept by the pickle walker. */
  maxPickleStack: number;
  maxPickleMemo: number;
  /** Pickles nested inside pickles (`pickle.loads(b'...')` payloads). */
  maxPickleNesting: number;
  /** Headers and metadata blocks parsed as JSON or protobuf (safetensors header, ONNX graph, Keras config). */
  maxMetadataBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ScanLimits> = Object.freeze({
  maxDepth: 8,
  maxMembers: 100_000,
  maxInMemoryBytes: 64 * 1024 * 1024,
  maxTotalInflated: 8 * 1024 * 1024 * 1024,
  maxCompressionRatio: 1000,
  maxPickleStack: 1_000_000,
  maxPickleMemo: 100_000,
  maxPickleNesting: 4,
  maxMetadataBytes: 100 * 1024 * 1024,
});
