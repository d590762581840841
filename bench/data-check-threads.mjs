/**
 * Would a second thread speed up `data check`'s neighbour queries? 1,000,000 queries against a k-d tree of
 * 200,000 rows × 24 dimensions (the size of a 1M × 20 check), on this thread alone, or split with one worker
 * thread that builds the same tree over shared memory. Plain JavaScript over dist/, because worker threads do not
 * inherit the tsx loader.
 *
 *   npm run build && node bench/data-check-threads.mjs 1 && node bench/data-check-threads.mjs 2
 */
/* global process, performance, URL, console */
import { loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { KdTree, neighbours } from '../dist/data/check/kd-tree.js';
import { rng } from '../dist/data/check/poison.js';

const DIMS = 24;
const ROWS = 200_000;
const QUERIES = 1_000_000;

function queries(tree, from, to) {
  const r = rng(7 + from);
  const nb = neighbours(10);
  const q = new Float64Array(DIMS);
  for (let i = from; i < to; i++) {
    for (let j = 0; j < DIMS; j++) q[j] = r() * 2 - 1;
    tree.query(q, 10, nb);
  }
}

if (!isMainThread) {
  const { shared, from, to } = workerData;
  queries(new KdTree(new Float64Array(shared), DIMS), from, to);
  parentPort.postMessage('done');
} else {
  const threads = Number(process.argv[2] ?? 1);
  const r = rng(3);
  const data = Float64Array.from({ length: ROWS * DIMS }, () => r() * 2 - 1 + (r() < 0.5 ? 0 : r()));
  const load = loadavg()[0].toFixed(2);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (threads === 1) queries(new KdTree(data, DIMS), 0, QUERIES);
  else {
    const shared = new SharedArrayBuffer(data.byteLength);
    new Float64Array(shared).set(data);
    const worker = new Worker(new URL(import.meta.url), { workerData: { shared, from: QUERIES / 2, to: QUERIES } });
    const done = new Promise((resolve) => worker.once('message', resolve));
    queries(new KdTree(data, DIMS), 0, QUERIES / 2);
    await done;
    await worker.terminate();
  }
  const cpu = process.cpuUsage(c0);
  console.log(`${threads} thread(s): ${Math.round(performance.now() - t0)} ms wall, ${Math.round((cpu.user + cpu.system) / 1000)} ms CPU, load average ${load} before`);
}
