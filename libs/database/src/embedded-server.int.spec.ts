import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase, type Database } from './database';
import { EMBEDDED_SETTINGS, settleAfterBulkLoad } from './embedded-server';

/** A fresh embedded folder, with the embedded-thread setting given and no `DATABASE_URL`. */
async function inEmbeddedFolder(
  thread: 'on' | 'off',
  use: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-embedded-server-'));
  const saved = { url: process.env.DATABASE_URL, thread: process.env.LINKAGE_EMBEDDED_THREAD };
  delete process.env.DATABASE_URL;
  process.env.LINKAGE_EMBEDDED_THREAD = thread === 'on' ? 'on' : 'off';
  try {
    await use(dir);
  } finally {
    if (saved.url) process.env.DATABASE_URL = saved.url;
    if (saved.thread === undefined) delete process.env.LINKAGE_EMBEDDED_THREAD;
    else process.env.LINKAGE_EMBEDDED_THREAD = saved.thread;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const settingsOf = async (db: Database) =>
  Object.fromEntries(
    await Promise.all(
      Object.keys(EMBEDDED_SETTINGS).map(async (name) => {
        const [row] = await db.sql`select current_setting(${name}) as value`;
        return [name, row.value as string];
      }),
    ),
  );

const statisticsOf = async (db: Database, table: string) => {
  const [row] =
    await db.sql`select reltuples::float8 as reltuples from pg_class where relname = ${table}`;
  return Number(row.reltuples);
};

describe('the embedded server', () => {
  it.each(['on', 'off'] as const)(
    'runs with the bounded-WAL settings (its own thread: %s) and keeps data across a restart',
    async (thread) => {
      await inEmbeddedFolder(thread, async (dir) => {
        const db = await openDatabase({ embeddedDir: dir });
        try {
          expect(await settingsOf(db)).toEqual(EMBEDDED_SETTINGS);
          await db.sql`create table kept (n int)`;
          await db.sql`insert into kept select generate_series(1, 100)`;
        } finally {
          await db.close();
        }
        const again = await openDatabase({ embeddedDir: dir });
        try {
          const [row] = await again.sql`select count(*)::int as c from kept`;
          expect(row.c).toBe(100);
        } finally {
          await again.close();
        }
      });
    },
    180_000,
  );

  it('settles after a bulk load: statistics collected and a checkpoint past the load', async () => {
    await inEmbeddedFolder('on', async (dir) => {
      const db = await openDatabase({ embeddedDir: dir });
      try {
        await db.sql`create table loaded (n int, pad text, doc jsonb)`;
        await db.sql`
          insert into loaded select g, repeat('x', 100), jsonb_build_object('g', g)
          from generate_series(1, 5000) g`;
        expect(await statisticsOf(db, 'loaded')).toBe(-1); // PGlite runs no autovacuum
        const [{ lsn }] = await db.sql`select pg_current_wal_lsn()::text as lsn`;
        await settleAfterBulkLoad(db);
        expect(await statisticsOf(db, 'loaded')).toBe(5000);
        // Column statistics for every column but the jsonb one (see settleAfterBulkLoad).
        const columns = await db.sql<{ attname: string }[]>`
          select attname from pg_stats where tablename = 'loaded' order by attname`;
        expect(columns.map((c) => c.attname)).toEqual(['n', 'pad']);
        const [{ past }] = await db.sql`
          select redo_lsn >= ${lsn}::pg_lsn as past from pg_control_checkpoint()`;
        expect(past).toBe(true);
      } finally {
        await db.close();
      }
    });
  }, 180_000);

  it('leaves a real server to its own autovacuum and checkpointer', async () => {
    const db = await openDatabase({ url: process.env.DATABASE_URL });
    try {
      // A temporary table: autovacuum never analyses those, so only an ANALYZE could.
      await db.sql.begin(async (tx) => {
        await tx`create temporary table settle_probe (n int) on commit drop`;
        await tx`insert into settle_probe select generate_series(1, 10)`;
        await settleAfterBulkLoad({ embedded: db.embedded, sql: tx });
        const [row] = await tx`
          select reltuples::float8 as reltuples from pg_class where relname = 'settle_probe'`;
        expect(Number(row.reltuples)).toBe(-1);
      });
    } finally {
      await db.close();
    }
  });
});
