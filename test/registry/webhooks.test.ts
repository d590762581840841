import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliver, signWebhook, verifyWebhook, webhookNotifier, type Delivery } from '../../src/registry/index.js';

const SECRET = `whsec_${Buffer.from('a test secret of thirty-two bytes').toString('base64')}`;
const event = { type: 'model.promoted', actor: 'user:eve', subject: 'model:fraud', data: { version: '1.0.0', alias: 'production' } };

/** A real loopback receiver that answers with the given statuses in turn (then 200) and keeps what it got. */
async function receiver(statuses: number[]): Promise<{ url: string; got: { headers: IncomingMessage['headers']; body: string }[]; close: () => Promise<void> }> {
  const got: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

describe('webhooks (Standard Webhooks)', () => {
  it('signs id.timestamp.body with HMAC-SHA256 and retries with doubling backoff until the receiver accepts', async () => {
    const rx = await receiver([500, 503]);
    const waits: number[] = [];
    try {
      const d = await deliver({ url: rx.url, secret: SECRET, events: [] }, event, { attempts: 4, backoffMs: 10, sleep: async (ms) => void waits.push(ms) });
      expect(d).toMatchObject({ ok: true, attempts: 3, status: 200 });
      expect(waits).toEqual([10, 20]);
      expect(rx.got).toHaveLength(3);
      // Every attempt carries the same id, so a receiver can drop duplicates; each one verifies.
      expect(new Set(rx.got.map((g) => g.headers['webhook-id'])).size).toBe(1);
      for (const g of rx.got) expect(verifyWebhook(SECRET, g.headers as Record<string, string>, g.body, new Date())).toBe(true);
      expect(JSON.parse(rx.got[0]!.body)).toMatchObject({ type: 'model.promoted', data: { subject: 'model:fraud', version: '1.0.0' } });
      // Another secret, a changed body, or an old timestamp do not verify.
      const h = rx.got[0]!.headers as Record<string, string>;
      expect(verifyWebhook(`whsec_${Buffer.from('another').toString('base64')}`, h, rx.got[0]!.body, new Date())).toBe(false);
      expect(verifyWebhook(SECRET, h, rx.got[0]!.body.replace('1.0.0', '6.6.6'), new Date())).toBe(false);
      expect(verifyWebhook(SECRET, h, rx.got[0]!.body, new Date(Date.now() + 3_600_000))).toBe(false);
    } finally {
      await rx.close();
    }
  });

  it('gives up after the configured attempts and reports the failure; filters by event type', async () => {
    const rx = await receiver([500, 500, 500]);
    const failures: Delivery[] = [];
    try {
      const notify = webhookNotifier([{ url: rx.url, secret: SECRET, events: ['model.promoted'] }], { attempts: 2, backoffMs: 1 }, async (d) => void failures.push(d));
      await notify({ ...event, type: 'model.registered' });
      expect(rx.got).toHaveLength(0);
      await notify(event);
      expect(rx.got).toHaveLength(2);
      expect(failures).toMatchObject([{ ok: false, attempts: 2, status: 500 }]);
    } finally {
      await rx.close();
    }
    const refused = await deliver({ url: rx.url, secret: SECRET, events: [] }, event, { attempts: 1, backoffMs: 1 });
    expect(refused).toMatchObject({ ok: false, attempts: 1, error: expect.any(String) });
  });

  it('matches the Standard Webhooks test vector', () => {
    // From the Standard Webhooks specification's reference libraries.
    const sig = signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('never throws on hostile headers', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x'), fc.string({ maxLength: 200 })), fc.string({ maxLength: 500 }), (headers, body) => {
        expect(typeof verifyWebhook(SECRET, headers, body, new Date())).toBe('boolean');
      }),
    );
  });
});
