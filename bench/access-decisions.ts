/**
 * Cost of one access decision (Cedar via @cedar-policy/cedar-wasm): the first call in a process (module load and
 * WebAssembly compile included) and steady-state decisions per second.
 * Run: npx tsx bench/access-decisions.ts
 */
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
const { decide } = await import('../src/access/index.js');
const loaded = performance.now() - t0;
const principal = { id: 'user:rita', role: 'security-reviewer' as const };
const resource = { type: 'ModelVersion' as const, id: 'fraud@1.0.0', registrant: 'user:eve' };
const t1 = performance.now();
decide(principal, 'approve', resource);
const first = performance.now() - t1;
const n = 5000;
const times: number[] = [];
for (let i = 0; i < n; i++) {
  const s = performance.now();
  decide(principal, i % 2 === 0 ? 'approve' : 'promote', resource);
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
const total = times.reduce((a, b) => a + b, 0);
const q = (p: number): string => times[Math.floor(p * (n - 1))]!.toFixed(3);
console.log(`module load ${loaded.toFixed(1)} ms; first decision ${first.toFixed(1)} ms`);
console.log(`${n} decisions: ${(n / (total / 1000)).toFixed(0)} ops/s, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
