import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase } from '@linkage/database';
import { recordBackend } from '@linkage/testing';
import { describeEventStoreContract, event } from '../contract/event-store.contract';
import { openEventStore } from '../index';
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

describe('openEventStore on embedded PGlite', () => {
  it('appends without COPY (a COPY FROM STDIN over pglite-socket never completes)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-es-embedded-'));
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
    try {
      db = await openDatabase({ embeddedDir: dir, max: 1 });
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
    const store = await openEventStore({ db });
    try {
      expect((store as PostgresqlEventStore).appendStrategy).toBe('one-call');
      const events = [event('E', { n: 1 }), event('E', { n: 2 })];
      const result = await store.appendMany([{ streamId: 'embedded-open', events }]);
      expect(result).toMatchObject({ appended: 2, duplicates: 0 });
      const read = await store.readStream('embedded-open');
      expect(read.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
    } finally {
      await store.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
