import { connect } from 'node:net';
import { describe } from 'vitest';

/**
 * The one place test service URLs default. With CI=true a missing server fails the tests that need it; elsewhere
 * those tests skip with a message saying what to start.
 */
export const SERVICE_URLS = {
  postgres: process.env.PALISADE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redis: process.env.PALISADE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
} as const;

export type Service = keyof typeof SERVICE_URLS;

const inCi = process.env.CI === 'true';

/** Opens a TCP connection to the service's host and port; resolves false on refusal or after 2 s. */
export function reachable(service: Service): Promise<boolean> {
  const u = new URL(SERVICE_URLS[service]);
  const port = Number(u.port || (service === 'postgres' ? 5432 : 6379));
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * `describe` for tests that need a real service. Missing server: skipped with a message locally, a failing test
 * under CI=true (never a silent skip).
 */
export async function describeWithService(service: Service, name: string, body: () => void): Promise<void> {
  const ok = await reachable(service);
  if (ok) {
    describe(name, body);
    return;
  }
  if (inCi) {
    describe(name, () => {
      throw new Error(`${service} is required with CI=true but ${SERVICE_URLS[service]} is not reachable`);
    });
    return;
  }
  console.warn(`skipping "${name}": ${service} is not reachable at ${SERVICE_URLS[service]} (start it, or set PALISADE_TEST_${service.toUpperCase()}_URL)`);
  describe.skip(name, body);
}
