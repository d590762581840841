// A bare Node proxy, the yardstick beside the gateway in bench/gateway-throughput.ts: node:http in, an undici Pool
// out, the body read whole and the response piped back, with no parsing, keys, guards, audit or metrics. What it
// costs per request is what any Node proxy on this machine pays for its sockets, HTTP framing and wake-ups.
//   node bench/lib/bare-proxy.mjs <upstream base URL, e.g. http://127.0.0.1:PORT/v1>
import { Buffer } from 'node:buffer';
import console from 'node:console';
import http from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2] ?? '');
const base = upstream.pathname.replace(/\/$/, '');
const pool = new Pool(upstream.origin, { connections: 128 });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool
      .request({ path: base + (req.url ?? '/').replace(/^\/v1/, ''), method: req.method ?? 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      .then(async (r) => {
        res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'application/json') });
        for await (const c of r.body) res.write(c);
        res.end();
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
});
server.keepAliveTimeout = 60_000;
// The same accept backlog as `palisade serve`, so the floor is measured under the same connection storms.
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const a = server.address();
  console.log(`listening on http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0} `);
});
