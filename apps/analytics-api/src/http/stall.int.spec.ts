import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore, type EventToAppend } from '@linkage/event-store';
import { metricsRegistry } from '@linkage/observability';
import { createFreshDatabase, eventually, idleInTransaction } from '@linkage/testing';
import { catchUp, projectionLag } from '../../../projector/src';
import { createAnalyticsApp, type AnalyticsApp } from '../create-analytics-app';

/**
 * A stall that is seen, against real PostgreSQL: a session left idle in transaction holds every
 * subscriber back. The projection lag counts the held-back events (it read 0), `catchUp` says
 * why it stopped short, the horizon-age gauge grows, and `/health` turns unhealthy (503) once the
 * open transaction is older than the threshold; all back to normal when it ends.
 */
describe('a stalled event store, seen by the projector and /health', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;
  let api: AnalyticsApp;

  const visit = (n: number): EventToAppend => ({
    eventId: randomUUID(),
    type: 'PersonRegistered',
    schemaVersion: 1,
    data: {
      source: 'cipha',
      occurredAt: '2020-01-01T00:00:00Z',
      personId: n.toString(16).padStart(32, '0'),
      yearOfBirth: 1980,
    },
    metadata: { receivedAt: '2020-01-01T00:00:00Z' },
  });

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_stall');
    db = await openDatabase({ url: fresh.url, max: 4 });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
    api = await createAnalyticsApp({
      db,
      store,
      port: 0,
      jwtSecret: randomBytes(32),
      stallThresholdSeconds: 0.5,
    });
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
    await fresh?.drop();
  });

  it('counts held-back events as lag, reports why catch-up stopped, and turns /health unhealthy', async () => {
    await store.appendToStream('person-a', [visit(1)]);
    expect(await catchUp({ sql: db.sql, store })).toMatchObject({ applied: 1, complete: true });

    const blocker = await idleInTransaction(fresh.url);
    try {
      await store.appendMany([2, 3].map((n) => ({ streamId: `person-${n}`, events: [visit(n)] })));

      const lag = await projectionLag(db.sql, store);
      expect(lag.events).toBe(2);
      expect(lag.visibility.heldBackEvents).toBe(2);

      const stopped = await catchUp({ sql: db.sql, store, visibilityTimeoutMs: 50 });
      expect(stopped).toMatchObject({
        applied: 0,
        complete: false,
        stoppedBecause: 'held_back_by_open_transaction',
        heldBackEvents: 2,
      });

      const unhealthy = await eventually(async () => {
        const res = await fetch(`${api.url}/health`);
        return res.status === 503 ? res.json() : undefined;
      });
      expect(unhealthy).toMatchObject({
        status: 'unhealthy',
        reason: 'subscribers_held_back_by_open_transaction',
        projection: { lagEvents: 2, eventStore: { heldBackEvents: 2 } },
      });
      const metrics = await metricsRegistry.metrics();
      const age = /^linkage_event_store_horizon_age_seconds (\S+)$/m.exec(metrics);
      expect(Number(age?.[1])).toBeGreaterThan(0.5);
      expect(metrics).toMatch(/^linkage_event_store_held_back_events 2$/m);
    } finally {
      await blocker.end();
    }

    expect(await catchUp({ sql: db.sql, store })).toMatchObject({ applied: 2, complete: true });
    const healthy = await eventually(async () => {
      const res = await fetch(`${api.url}/health`);
      return res.status === 200 ? res.json() : undefined;
    });
    expect(healthy).toMatchObject({ status: 'ok', projection: { lagEvents: 0 } });
  });
});
