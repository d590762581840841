import { describe, expect, it } from 'vitest';
import { SEEN_KEPT, startDemoUpstream } from '../../src/gateway/index.js';

describe('demo upstream', () => {
  it('keeps only recent requests, so a long-running demo does not grow without bound', async () => {
    const up = await startDemoUpstream();
    try {
      const n = 2 * SEEN_KEPT + 50;
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${up.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: `request ${i}` }] }) });
        await r.arrayBuffer();
      }
      expect(up.seen.length).toBeGreaterThanOrEqual(SEEN_KEPT);
      expect(up.seen.length).toBeLessThanOrEqual(2 * SEEN_KEPT);
      expect(up.seen.at(-1)!.body.messages).toEqual([{ role: 'user', content: `request ${n - 1}` }]);
    } finally {
      await up.close();
    }
  });
});
