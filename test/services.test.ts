import { connect } from 'node:net';
import { expect, it } from 'vitest';
import { describeWithService, SERVICE_URLS } from './support/services.js';

/** Speaks one exchange of a wire protocol and returns the first bytes of the answer. */
function exchange(url: string, port: number, request: Buffer): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port || port) }, () => s.write(request));
    s.setTimeout(3000, () => reject(new Error('timeout')));
    s.once('data', (d) => {
      s.destroy();
      resolve(d);
    });
    s.once('error', reject);
  });
}

await describeWithService('redis', 'Redis test service', () => {
  it('answers PING', async () => {
    expect((await exchange(SERVICE_URLS.redis, 6379, Buffer.from('PING\r\n'))).toString()).toBe('+PONG\r\n');
  });
});

await describeWithService('postgres', 'PostgreSQL test service', () => {
  it('answers an SSLRequest with a one-byte yes or no', async () => {
    // SSLRequest: length 8, code 80877103 (PostgreSQL protocol, "Message Formats").
    const req = Buffer.alloc(8);
    req.writeUInt32BE(8, 0);
    req.writeUInt32BE(80877103, 4);
    const answer = await exchange(SERVICE_URLS.postgres, 5432, req);
    expect(['N', 'S']).toContain(String.fromCharCode(answer[0]!));
  });
});
