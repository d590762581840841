/**
 * Throughput and memory of `palisade discover`: code discovery over generated repositories of 10,000 and 100,000
 * files, and egress discovery over generated squid logs of 1 and 10 million lines. Each measurement runs in its own
 * child process, so its peak RSS (getrusage maxrss) is its own. Inputs are generated once under $TMPDIR/palisade-bench-discover/
 * and reused.
 *
 *   npx tsx bench/discover-throughput.ts            # all cases
 *   npx tsx bench/discover-throughput.ts --quick    # 10,000 files and 1 million lines only
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { compileApprovals, discoverCode, discoverEgress } from '../src/discover/index.js';

// Outside the repository: generated source files there would be type-checked and linted as the project's own.
const OUT = join(tmpdir(), 'palisade-bench-discover');

interface Measured {
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  items: number;
  found: number;
}

/** The child side: one measurement, printed as JSON. */
async function child(kind: string, path: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let items: number;
  let found: number;
  if (kind === 'code') {
    const r = discoverCode(path);
    items = r.files + r.skipped.length;
    found = r.findings.length;
  } else {
    const approvals = compileApprovals({ approved: [{ host: '10.1.0.0/16', provider: 'openai', expires: '2026-06-01' }] }, 'bench');
    const r = await discoverEgress(createReadStream(path, { highWaterMark: 1 << 20 }), { approvals });
    items = r.lines;
    found = r.flows.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const m: Measured = { seconds, cpuSeconds: (c.user + c.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, items, found };
  process.stdout.write(JSON.stringify(m));
}

const LANG: readonly [string, (i: number) => string][] = [
  ['py', (i) => `import os\nimport json\n${i % 50 === 0 ? 'import openai\n' : ''}\n\ndef handler_${i}(event):\n    """Return the record for ${i}."""\n    data = json.loads(event["body"])\n    url = "https://service.example.com/v1/items/${i}"\n    return {"id": ${i}, "items": data.get("items", []), "url": url}\n`.repeat(3)],
  ['ts', (i) => `import { readFile } from 'node:fs/promises';\n${i % 50 === 1 ? "import Anthropic from '@anthropic-ai/sdk';\n" : ''}\nexport async function load${i}(path: string): Promise<string[]> {\n  const text = await readFile(path, 'utf8');\n  return text.split('\\n').filter((l) => l.length > 0 && !l.startsWith('#'));\n}\n`.repeat(4)],
  ['go', (i) => `package p${i % 100}\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc Handle${i}(w http.ResponseWriter, r *http.Request) {\n\tfmt.Fprintf(w, "hello %s", r.URL.Path)\n}\n`.repeat(3)],
  ['java', (i) => `package com.example.p${i % 100};\n\nimport java.util.List;\n\npublic class C${i} {\n  public List<String> items() { return List.of("a", "b", "c"); }\n}\n`.repeat(3)],
  ['sh', (i) => `#!/bin/sh\nset -eu\n# build step ${i}\nmake -C build all\ncurl -fsS https://downloads.example.org/tool-${i}.tar.gz | tar xz\n`.repeat(3)],
  ['yaml', (i) => `name: job-${i}\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci && npm test\n`.repeat(3)],
  ['md', (i) => `# Notes ${i}\n\nThis module handles the import of records and replicates them together with their history.\n\n- step one\n- step two\n`.repeat(4)],
  ['json', (i) => `${JSON.stringify({ name: `pkg-${i}`, version: '1.0.0', settings: { retries: 3, endpoint: `https://api.example.net/${i}` } }, null, 2)}\n`],
];

/** A repository of `n` files in folders of 100, mixed languages, 1 in 50 with an AI import. */
function makeRepo(n: number): string {
  const dir = join(OUT, `repo-${n}`);
  if (existsSync(join(dir, '.done'))) return dir;
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    const [ext, body] = LANG[i % LANG.length]!;
    writeFileSync(join(sub, `f${i}.${ext}`), body(i));
  }
  writeFileSync(join(dir, '.gitignore'), 'build/\n*.tmp\n');
  writeFileSync(join(dir, '.done'), '');
  return dir;
}

const HOSTS = ['www.example.com', 'cdn.example.net', 'api.github.com', 'storage.googleapis.com', 'api.openai.com', 's3.amazonaws.com', 'api.anthropic.com', 'login.example.org', 'generativelanguage.googleapis.com', 'static.example.com'];

/** A squid native log of `n` lines: 200 clients, 10 hosts (4 of them AI), CONNECT tunnels and full URLs. */
function makeLog(n: number): string {
  const file = join(OUT, `squid-${n}.log`);
  if (existsSync(file + '.done')) return file;
  mkdirSync(OUT, { recursive: true });
  const fd = openSync(file, 'w');
  let buf = '';
  const t0 = 1780000000;
  for (let i = 0; i < n; i++) {
    const host = HOSTS[i % HOSTS.length]!;
    const client = `10.${1 + (i % 4)}.${(i >> 4) & 15}.${i % 50}`;
    const target = i % 3 === 0 ? `${host}:443` : `https://${host}/v1/path/${i % 1000}`;
    buf += `${t0 + Math.floor(i / 100)}.${String(i % 1000).padStart(3, '0')}    ${i % 900} ${client} ${i % 3 === 0 ? 'TCP_TUNNEL/200' : 'TCP_MISS/200'} ${500 + (i % 5000)} ${i % 3 === 0 ? 'CONNECT' : 'GET'} ${target} - HIER_DIRECT/${host} -\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
  writeFileSync(file + '.done', '');
  return file;
}

function measure(kind: string, path: string): Measured {
  const out = execFileSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', kind, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out) as Measured;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2]!);
  const quick = args.includes('--quick');
  const load0 = loadavg().map((l) => l.toFixed(2)).join(' / ');
  const rows: string[] = [];
  for (const n of quick ? [10_000] : [10_000, 100_000]) {
    const dir = makeRepo(n);
    const runs = [measure('code', dir), measure('code', dir), measure('code', dir)].sort((a, b) => a.seconds - b.seconds);
    const m = runs[1]!;
    rows.push(`| code, ${n.toLocaleString('en')} files | ${m.seconds.toFixed(2)} s (${runs[0]!.seconds.toFixed(2)}–${runs[2]!.seconds.toFixed(2)}) | **${Math.round((m.items / m.seconds) * 60).toLocaleString('en')} files/min** | ${m.cpuSeconds.toFixed(2)} | ${m.maxRssMiB.toFixed(0)} MiB | ${m.found} findings |`);
  }
  for (const n of quick ? [1_000_000] : [1_000_000, 10_000_000]) {
    const file = makeLog(n);
    const runs = [measure('egress', file), measure('egress', file), measure('egress', file)].sort((a, b) => a.seconds - b.seconds);
    const m = runs[1]!;
    rows.push(`| egress, squid, ${n.toLocaleString('en')} lines | ${m.seconds.toFixed(2)} s (${runs[0]!.seconds.toFixed(2)}–${runs[2]!.seconds.toFixed(2)}) | **${(((m.items / m.seconds) * 60) / 1e6).toFixed(1)} million lines/min** | ${m.cpuSeconds.toFixed(2)} | ${m.maxRssMiB.toFixed(0)} MiB | ${m.found} flows |`);
  }
  const load1 = loadavg().map((l) => l.toFixed(2)).join(' / ');
  console.log(`Run of ${new Date().toISOString().slice(0, 16)} UTC; ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, src/ through tsx.`);
  console.log(`\nLoad average (1/5/15 min) at start ${load0}, at end ${load1}. The machine is shared with other jobs.\n`);
  console.log('| case | median time of 3 (min–max) | throughput (median) | CPU s | peak RSS | result |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();
