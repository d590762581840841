/** A synchronous streaming decoder: bounded output, delivered in chunks as input arrives. */
export interface StreamDecoder {
  /** Decodes as much of `chunk` as possible, calling `out` with decoded bytes (each call at most 64 KiB). */
  push(chunk: Uint8Array, out: (bytes: Uint8Array) => void): void;
  /** Signals end of input; throws if the stream is truncated or corrupt. */
  end(out: (bytes: Uint8Array) => void): void;
}
