import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dropSchema, openStore, type Store } from '../../src/store/index.js';
import { SERVICE_URLS } from './services.js';
import { tempDir } from './tmp.js';

export interface TestStore {
  store: Store;
  cleanup: () => Promise<void>;
}

/** A fresh SQLite file in a temporary folder. */
export async function openTestSqlite(): Promise<TestStore> {
  const store = await openStore({ url: join(tempDir(), 'palisade.db') });
  return { store, cleanup: () => store.close() };
}

/** A fresh schema on the test PostgreSQL server, dropped on cleanup. */
export async function openTestPostgres(): Promise<TestStore> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url: SERVICE_URLS.postgres, schema });
  return {
    store,
    cleanup: async () => {
      await dropSchema(store, schema);
      await store.close();
    },
  };
}
