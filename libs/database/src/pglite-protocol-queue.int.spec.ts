import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import postgres from 'postgres';
import { openDatabase } from './database';

/**
 * Several processes connect to one embedded PGlite (a CLI verb while the demo serves). Their
 * extended-protocol queries outside a transaction used to interleave message by message, and one
 * connection's Bind replaced another's unnamed portal: "portal "" does not exist".
 */
describe.each(['thread', 'inline'])(
  'embedded PGlite (%s) shared by several connections',
  (mode) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-protocol-queue-'));
    const saved = process.env.DATABASE_URL;
    const savedMode = process.env.LINKAGE_EMBEDDED_THREAD;

    beforeAll(() => {
      delete process.env.DATABASE_URL;
      // The server runs on a worker thread by default; `off` runs it on the calling thread.
      if (mode === 'inline') process.env.LINKAGE_EMBEDDED_THREAD = 'off';
      else delete process.env.LINKAGE_EMBEDDED_THREAD;
    });
    afterAll(() => {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      if (savedMode !== undefined) process.env.LINKAGE_EMBEDDED_THREAD = savedMode;
      else delete process.env.LINKAGE_EMBEDDED_THREAD;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('answers every query of concurrent connections, in and out of transactions', async () => {
      const owner = await openDatabase({ embeddedDir: dir });
      const others = [1, 2, 3].map(() => postgres(owner.url, { max: 1, onnotice: () => {} }));
      try {
        await owner.sql`create table shared_counter (client int, n int)`;
        const rounds = 40;
        const clients = [owner.sql, ...others] as unknown as postgres.Sql[];
        const failures: string[] = [];
        await Promise.all(
          clients.map(async (sql, client) => {
            for (let n = 0; n < rounds; n++) {
              try {
                await sql`insert into shared_counter values (${client}, ${n})`;
                const [row] = await sql`select count(*)::int as c from shared_counter
                                      where client = ${client}`;
                if (row.c !== n + 1) failures.push(`client ${client} saw ${row.c} at ${n}`);
                if (n % 10 === 0) {
                  await sql.begin(async (tx) => {
                    await tx`select ${client}::int as inside`;
                    await tx`select pg_sleep(0)`;
                  });
                }
              } catch (error) {
                failures.push(`client ${client}: ${(error as Error).message}`);
              }
            }
          }),
        );
        expect(failures).toEqual([]);
        const [total] = await owner.sql`select count(*)::int as c from shared_counter`;
        expect(total.c).toBe(clients.length * rounds);
      } finally {
        await Promise.all(others.map((sql) => sql.end({ timeout: 5 })));
        await owner.close();
      }
    }, 120_000);

    it('gives the turn to the others when a connection leaves inside a transaction', async () => {
      const owner = await openDatabase({ embeddedDir: dir });
      const leaver = postgres(owner.url, { max: 1, onnotice: () => {} });
      try {
        await owner.sql`create table left_behind (n int)`;
        const reserved = await leaver.reserve();
        await reserved`begin`;
        await reserved`insert into left_behind values (1)`;
        // Leaves without commit: the socket closes mid-transaction.
        await leaver.end({ timeout: 0 });
        const [row] = await owner.sql`select count(*)::int as c from left_behind`;
        expect(row.c).toBe(0);
        await owner.sql`insert into left_behind values (2)`;
        const [after] = await owner.sql`select count(*)::int as c from left_behind`;
        expect(after.c).toBe(1);
      } finally {
        await owner.close();
      }
    }, 120_000);
  },
);
