import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import postgres from 'postgres';
import { openDatabase, type Sql } from './database';

describe('openDatabase', () => {
  it('runs on the real local PostgreSQL given a URL', async () => {
    const db = await openDatabase({ url: process.env.DATABASE_URL });
    const [row] = await db.sql`select current_setting('server_version_num')::int as v`;
    expect(db.embedded).toBe(false);
    expect(row.v).toBeGreaterThanOrEqual(150000);
    await db.close();
  });

  it("turns Nagle's algorithm off on its TCP sockets (a COPY's CopyDone would wait for a delayed ACK)", async () => {
    const setNoDelay = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const db = await openDatabase({ url: process.env.DATABASE_URL, max: 2 });
      // Two queries at once: the pool opens both its connections.
      await Promise.all([db.sql`select pg_sleep(0.05)`, db.sql`select pg_sleep(0.05)`]);
      expect(setNoDelay.mock.calls.filter(([on]) => on === true).length).toBe(2);
      await db.close();
    } finally {
      setNoDelay.mockRestore();
    }
  });

  it('never JIT-compiles on a server, where a plain connection would (a zero-row read paid 30-40 ms)', async () => {
    const url = process.env.DATABASE_URL!;
    const db = await openDatabase({ url, max: 2 });
    const plain = postgres(url, { max: 1, onnotice: () => undefined }) as unknown as Sql;
    try {
      const jitInPlan = async (sql: Sql): Promise<boolean> =>
        sql.begin(async (tx) => {
          // Every plan passes the cost bar, as the event store's reads do at millions of rows.
          await tx`set local jit_above_cost = 0`;
          const [row] = await tx.unsafe(
            'explain (analyze, format json) select sum(n) from pg_class, (select 1 as n) x',
          );
          return JSON.stringify(row).includes('"JIT"');
        });
      const [{ available }] = await plain`select pg_jit_available() as available`;
      expect(await jitInPlan(plain)).toBe(available);
      expect(await jitInPlan(db.sql)).toBe(false);
      // Every connection of the pool, not only the first.
      const settings = await Promise.all([
        db.sql`select current_setting('jit') as jit, pg_sleep(0.05)`,
        db.sql`select current_setting('jit') as jit, pg_sleep(0.05)`,
      ]);
      expect(settings.map(([r]) => r.jit)).toEqual(['off', 'off']);
    } finally {
      await plain.end();
      await db.close();
    }
  });

  it('still reports a refused connection as postgres.js does, with its code', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const db = await openDatabase({ url: `postgres://u:p@127.0.0.1:${port}/none`, max: 1 });
    await expect(db.sql`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await db.close();
  });

  it('runs embedded (PGlite over the wire) without a URL, keeping data in its folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-embedded-'));
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const first = await openDatabase({ embeddedDir: dir });
      expect(first.embedded).toBe(true);
      await first.sql`create table kept (n int)`;
      await Promise.all([1, 2, 3].map((n) => first.sql`insert into kept values (${n})`));
      await first.close();
      const second = await openDatabase({ embeddedDir: dir });
      const rows = await second.sql`select count(*)::int as c from kept`;
      expect(rows[0].c).toBe(3);
      await second.close();
    } finally {
      if (saved) process.env.DATABASE_URL = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // two starts of the embedded server (initdb on the first) on a loaded machine
});
