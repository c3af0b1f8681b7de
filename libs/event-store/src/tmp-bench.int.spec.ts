import { randomUUID } from 'node:crypto';
import { openDatabase } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { PostgresqlEventStore } from './postgresql/postgresql-event-store';

it('bench', async () => {
  const fresh = await createFreshDatabase('linkage_bench');
  const db = await openDatabase({ url: fresh.url });
  const store = new PostgresqlEventStore(db.sql);
  await store.init();
  for (const [batch, concurrency] of [[1000, 1], [2500, 1], [5000, 1], [2500, 4], [1000, 8]]) {
    const total = 100_000;
    const make = () => {
      const byStream = new Map<string, unknown[]>();
      for (let i = 0; i < batch; i++) {
        const s = `person-${Math.floor(Math.random() * 20000)}`;
        const arr = byStream.get(s) ?? [];
        arr.push({ eventId: randomUUID(), type: 'VisitRecorded', schemaVersion: 1, data: { source: 'liferooms', recordId: `r${i}`, recordType: 'visit', occurredAt: '2021-03-04T10:00:00Z', personId: 'abcdef0123456789abcdef', site: 'walton', postcodeSector: 'L9 2', imdDecile: 3 }, metadata: { receivedAt: '2024-01-01T00:00:00Z', line: i } });
        byStream.set(s, arr);
      }
      return [...byStream].map(([streamId, events]) => ({ streamId, events })) as never;
    };
    const t0 = Date.now();
    let done = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (done < total) { done += batch; await store.appendMany(make()); }
    }));
    const s = (Date.now() - t0) / 1000;
    console.log(`batch ${batch} x${concurrency}: ${Math.round(done / s)} events/s`);
  }
  await store.close(); await db.close(); await fresh.drop();
}, 600000);
