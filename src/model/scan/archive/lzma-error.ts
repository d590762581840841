/**
 * Why an LZMA-family stream could not be decoded. Callers branch on `reason`, never on the message:
 * - `truncated`: input ended before the stream did;
 * - `corrupt`: the bytes contradict the format (bad CRC, impossible distance, reserved bits set …);
 * - `unsupported`: valid, but a feature this decoder does not implement (an xz BCJ or delta filter);
 * - `limit`: valid, but decoding would need more memory than the caller allows (a dictionary above `maxDictBytes`).
 */
export type LzmaErrorReason = 'truncated' | 'corrupt' | 'unsupported' | 'limit';

export class LzmaError extends Error {
  constructor(
    readonly reason: LzmaErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'LzmaError';
  }
}
