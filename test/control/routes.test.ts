import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOperations, parseServer, requestFor } from '../../src/control/index.js';

describe('control-plane routes', () => {
  it('docs/design.md lists every route, and no two operations share one', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'design.md'), 'utf8');
    const routes = allOperations().map((o) => `${o.method} ${o.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    for (const r of routes) expect(doc, `docs/design.md lacks ${r}`).toContain(`\`${r}`);
  });

  it('puts path fields in the path (escaped), the rest in the query of a GET or the body of a POST', () => {
    const ops = allOperations();
    const show = ops.find((o) => o.path === '/models/:name/versions/:at')!;
    expect(requestFor('https://p.example/base', show, { name: 'a/b', at: '1.0.0' })).toEqual({ url: 'https://p.example/base/control/v1/models/a%2Fb/versions/1.0.0' });
    const search = ops.find((o) => o.method === 'GET' && o.path === '/audit/entries')!;
    expect(requestFor('http://h', search, { type: 'model.promoted', actor: undefined, limit: 5 })).toEqual({ url: 'http://h/control/v1/audit/entries?type=model.promoted&limit=5' });
    const promote = ops.find((o) => o.path.endsWith('/promote'))!;
    expect(requestFor('http://h', promote, { name: 'm', version: '1', to: 'production', reason: 'r' })).toEqual({ url: 'http://h/control/v1/models/m/versions/1/promote', body: '{"to":"production","reason":"r"}' });
  });

  it('accepts http(s) base URLs and says when a token would cross the network in clear', () => {
    expect(parseServer('https://palisade.example.com/')).toEqual({ base: 'https://palisade.example.com', cleartext: false });
    expect(parseServer('http://127.0.0.1:8787')).toEqual({ base: 'http://127.0.0.1:8787', cleartext: false });
    expect(parseServer('http://palisade.internal:8787/p/')).toEqual({ base: 'http://palisade.internal:8787/p', cleartext: true });
    for (const bad of ['palisade.example.com', 'file:///etc/passwd', 'https://a:b@h', 'https://h/?x=1']) expect(() => parseServer(bad), bad).toThrow(expect.objectContaining({ code: 'CONTROL_SERVER_INVALID' }));
  });
});
