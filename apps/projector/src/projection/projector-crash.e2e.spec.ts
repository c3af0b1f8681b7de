import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { projectRoot } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore, type EventToAppend } from '@linkage/event-store';
import { createFreshDatabase, eventually } from '@linkage/testing';

const PERSONS = 3000;
const AE_PER_PERSON = 10;
const person = (n: number) => n.toString(16).padStart(32, '0');

function project(url: string) {
  const child = spawn(
    process.execPath,
    [path.join(projectRoot(), 'bin', 'linkage.js'), 'project', '--no-match', '--batch-size', '500'],
    {
      env: {
        ...process.env,
        DATABASE_URL: url,
        LINKAGE_PROGRESS: 'off',
        LOG_LEVEL: 'warn',
        // The CLI refuses to run without a key; projecting never uses it.
        PSEUDONYMISATION_KEY: randomBytes(32).toString('hex'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

describe('projector killed mid-batch (SIGKILL) and restarted', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_crash');
    db = await openDatabase({ url: fresh.url });
    const store = new PostgresqlEventStore(db.sql);
    await store.init();
    for (let from = 0; from < PERSONS; from += 500) {
      const batches = [];
      for (let p = from; p < Math.min(PERSONS, from + 500); p++) {
        const events: EventToAppend[] = [];
        for (let i = 0; i < AE_PER_PERSON; i++) {
          const at = `2022-${String(1 + (i % 12)).padStart(2, '0')}-1${i % 10}T10:00:00Z`;
          events.push({
            eventId: randomUUID(),
            type: 'AeAttended',
            schemaVersion: 1,
            data: {
              source: 'cipha',
              personId: person(p),
              occurredAt: at,
              departmentType: 1,
              disposal: 'discharged',
            },
            metadata: { receivedAt: at },
          });
        }
        batches.push({ streamId: `person-${person(p)}`, events });
      }
      await store.appendMany(batches);
    }
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('counts every event exactly once after the restart', async () => {
    const total = PERSONS * AE_PER_PERSON;
    const first = project(fresh.url);
    let exitedEarly = false;
    void first.exited.then(() => (exitedEarly = true));
    // Kill once some batches are committed and before the last one.
    await eventually(
      async () => {
        if (exitedEarly) throw new Error(`projector exited early: ${first.stderr().slice(-300)}`);
        const [row] = await db.sql<{ n: string }[]>`
          select events_applied::text as n from read_model.checkpoint`.catch(() => []);
        const n = Number(row?.n ?? 0);
        return n > 0 ? n : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 10, what: 'a first committed batch' },
    );
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const [mid] = await db.sql<
      { n: string }[]
    >`select events_applied::text as n from read_model.checkpoint`;
    expect(Number(mid.n)).toBeLessThan(total);

    const second = project(fresh.url);
    const done = await second.exited;
    expect([done.code, second.stderr().slice(-500)]).toEqual([0, expect.any(String)]);

    const [counts] = await db.sql<
      { activity: string; monthly: string; applied: string; people: string }[]
    >`
      select (select count(*) from read_model.activity)::text as activity,
             (select sum(events) from read_model.service_use_monthly)::text as monthly,
             (select events_applied from read_model.checkpoint)::text as applied,
             (select count(distinct person_id) from read_model.service_use_monthly)::text as people`;
    expect(counts).toEqual({
      activity: String(total),
      monthly: String(total),
      applied: String(total),
      people: String(PERSONS),
    });
  });
});
