import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '@linkage/database';
import { recordBackend } from '@linkage/testing';
import { describeEventStoreContract } from '../contract/event-store.contract';
import { PostgresqlEventStore } from './postgresql-event-store';

recordBackend(
  'postgresql-embedded (PGlite)',
  true,
  'PGlite over pglite-socket in a temporary folder',
);

describeEventStoreContract('postgresql embedded (PGlite)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-es-embedded-'));
  // Without a URL openDatabase starts the embedded default; hide the test server's URL meanwhile.
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    // One connection, as the service uses it: PGlite runs one exchange at a time anyway.
    const db = await openDatabase({ embeddedDir: dir, max: 1 });
    expect(db.embedded).toBe(true);
    const store = new PostgresqlEventStore(db.sql);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
});
