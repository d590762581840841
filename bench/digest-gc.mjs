// What a digest costs with the collection it causes: a Node Hash or Hmac object per digest (createHash, createHmac)
// against the one-shot hashes of src/core/digest.ts, each in a child process under --trace-gc, 300,000 digests after
// 20,000 of warm-up, the last 200 results kept alive as a batch would keep them. Prints the time per digest
// (collections included) and the young-generation pauses.
//   npm run build && node bench/digest-gc.mjs
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import { createHash, createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { hmacSha256Hex, sha256Of } from '../dist/core/digest.js';

const secret = Buffer.alloc(32, 7);
// A gateway request entry, about the size the log hashes, and a short response text.
const entry = Buffer.from(
  '{"actor":"apikey:4fc61f61a64a","data":{"completionTokens":13,"endpoint":"chat","latencyMs":310.18,"promptDigest":"hmac-sha256:0568070a1a55f63fdd3778c3c564d7bb66d918a1b2b5ad10284ec8295daaeea7","promptTokens":45},"subject":"model:chat","time":"2026-11-24T01:38:38.352Z","type":"gateway.request"}',
);
const text = 'Hello from the Palisade demo model. Ask me anything. (primary)';
const LEAF = new Uint8Array([0]);
const cases = {
  'leaf hash, createHash': () => createHash('sha256').update(LEAF).update(entry).digest(),
  'leaf hash, one-shot': () => sha256Of(LEAF, entry),
  'HMAC, createHmac': () => createHmac('sha256', secret).update(text, 'utf8').digest('hex'),
  'HMAC, one-shot': () => hmacSha256Hex(secret, text),
};

const mode = process.argv[2];
if (mode !== undefined) {
  const f = cases[mode];
  const kept = [];
  for (let i = 0; i < 20_000; i++) f();
  const t = performance.now();
  for (let i = 0; i < 300_000; i++) {
    kept.push(f());
    if (kept.length > 200) kept.length = 0;
  }
  console.log(`RESULT ${((performance.now() - t) * 1000) / 300_000}`);
} else {
  for (const name of Object.keys(cases)) {
    const out = execFileSync(process.execPath, ['--trace-gc', fileURLToPath(import.meta.url), name], { encoding: 'utf8' });
    const pauses = [...out.matchAll(/Scavenge[^\n]*?MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    const us = Number(/RESULT ([\d.]+)/.exec(out)[1]);
    console.log(`${name.padEnd(24)} ${us.toFixed(2)} µs per digest; ${pauses.length} scavenges, pause p50 ${(pauses[pauses.length >> 1] ?? 0).toFixed(2)} ms, max ${(pauses.at(-1) ?? 0).toFixed(2)} ms`);
  }
}
