import { Worker } from 'node:worker_threads';
import { HashingError } from './errors.js';

/**
 * One unit of hashing work: the byte range [start, end) of a file, or with `whole` the file from `start` to its
 * end whatever its length is now (`end` is then the listed size, used only to schedule big tasks first).
 */
export interface HashTask {
  path: string;
  start: number;
  end: number;
  whole?: boolean;
  /** A node:crypto hash name. */
  algorithm: string;
}

export interface HashResult {
  digest: string;
  /** Bytes hashed. */
  bytes: number;
}

/** Bytes per read: big enough that the hash, not the syscall, is the cost; small enough that memory stays flat. */
export const CHUNK_BYTES = 4 << 20;
const PROGRESS_EVERY = 64 << 20;

/*
 * The worker's code, evaluated in each thread (`eval: true`), so the same pool runs from the TypeScript sources in
 * tests and from dist/ in the CLI. It reads with positioned synchronous reads into one reused buffer: in its own
 * thread a blocking read costs nothing, and it keeps memory at one chunk per thread however large the file is.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(${CHUNK_BYTES});
parentPort.on('message', (t) => {
  let fd;
  try {
    fd = openSync(t.path, 'r');
    const h = createHash(t.algorithm);
    let pos = t.start, sinceReport = 0;
    for (;;) {
      const want = t.whole ? buf.length : Math.min(buf.length, t.end - pos);
      if (want === 0) break;
      const n = readSync(fd, buf, 0, want, pos);
      if (n === 0) {
        if (!t.whole) { parentPort.postMessage({ id: t.id, changed: true }); return; }
        break;
      }
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n; sinceReport += n;
      if (sinceReport >= ${PROGRESS_EVERY}) { parentPort.postMessage({ id: t.id, progress: sinceReport }); sinceReport = 0; }
    }
    parentPort.postMessage({ id: t.id, digest: h.digest('hex'), bytes: pos - t.start, progress: sinceReport });
  } catch (e) {
    parentPort.postMessage({ id: t.id, error: String(e && e.message || e) });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

interface Reply {
  id: number;
  digest?: string;
  bytes?: number;
  progress?: number;
  changed?: boolean;
  error?: string;
}

/**
 * Hashes many files and byte ranges on `threads` worker threads, each task in one thread, biggest first so the
 * last thread to finish is not left holding a large file. Results come back in task order.
 */
export async function hashAll(tasks: readonly HashTask[], threads: number, onBytes?: (bytes: number) => void): Promise<HashResult[]> {
  const results = new Array<HashResult>(tasks.length);
  if (tasks.length === 0) return results;
  const order = tasks.map((_, i) => i).sort((a, b) => size(tasks[b]!) - size(tasks[a]!));
  const n = Math.max(1, Math.min(threads, tasks.length));
  let next = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      let failed = false;
      const fail = (err: Error): void => {
        if (!failed) reject(err);
        failed = true;
      };
      const feed = (w: Worker): void => {
        if (failed || next >= order.length) return;
        const id = order[next++]!;
        w.postMessage({ id, ...tasks[id]! });
      };
      for (let k = 0; k < n; k++) {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(w);
        w.on('error', (err) => fail(new HashingError('HASHING_READ_FAILED', `a hashing thread failed: ${err.message}`, { cause: err })));
        w.on('message', (r: Reply) => {
          if (failed) return;
          if (r.progress !== undefined && r.progress > 0) onBytes?.(r.progress);
          if (r.error !== undefined) return fail(new HashingError('HASHING_READ_FAILED', `cannot read ${tasks[r.id]!.path}: ${r.error}`));
          if (r.changed === true) return fail(new HashingError('HASHING_FILE_CHANGED', `${tasks[r.id]!.path} became shorter while it was being hashed: hash it again once nothing writes to it`));
          if (r.digest === undefined) return;
          results[r.id] = { digest: r.digest, bytes: r.bytes ?? 0 };
          if (++done === tasks.length) resolve();
          else feed(w);
        });
        // Two tasks queued per thread: the next one is already there when a small file finishes, so threads do not
        // idle for a message round trip between files.
        feed(w);
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

const size = (t: HashTask): number => t.end - t.start;
