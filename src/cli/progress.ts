import { SingleBar } from 'cli-progress';
import type { Io } from './io.js';

/** Progress of bytes hashed, on stderr when it is a terminal; otherwise nothing. */
export interface ByteProgress {
  onListed: (bytes: number) => void;
  onBytes: (bytes: number) => void;
  stop: () => void;
}

export function byteProgress(io: Io, enabled: boolean | undefined, label: string): ByteProgress {
  if (enabled === false || !io.stderrIsTTY) return { onListed: () => {}, onBytes: () => {}, stop: () => {} };
  const bar = new SingleBar({ format: `${label} {bar} {percentage}% | {value}/{total} MB | {eta_formatted} left`, stream: process.stderr, hideCursor: true, clearOnComplete: true });
  let done = 0;
  return {
    onListed: (bytes) => bar.start(Math.max(1, Math.round(bytes / 1e6)), 0),
    onBytes: (bytes) => {
      done += bytes;
      bar.update(Math.round(done / 1e6));
    },
    stop: () => bar.stop(),
  };
}
