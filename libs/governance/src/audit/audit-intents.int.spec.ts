import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { AuditTrail } from './audit-trail';

/** A call's intent is written before it runs: a crash mid-call still leaves an entry. */
describe('AuditTrail intents (real PostgreSQL)', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;

  beforeEach(async () => {
    fresh = await createFreshDatabase('linkage_gov_intent');
    db = await openDatabase({ url: fresh.url });
  });

  afterEach(async () => {
    await db.close();
    await fresh.drop();
  });

  const call = {
    actor: 'feed-bot',
    role: 'ingest',
    purpose: 'data-feed',
    dsa: 'DSA-FEED',
    action: 'ingest.run',
    parameters: { source: 'cipha' },
    outcome: 'error' as const,
    requestId: 'req-crash',
  };

  it('turns the intent of a call that never finished into an `interrupted` entry on the next start', async () => {
    const t0 = new Date('2026-01-01T10:00:00Z');
    const before = await AuditTrail.open(db.sql, { clock: () => t0 });
    await before.recordIntent('intent-1', call);
    // The process dies here: no entry, no settle. A new process starts hours later.
    expect((await before.search({})).total).toBe(0);
    const later = new Date(t0.getTime() + 7 * 3600_000);
    const after = await AuditTrail.open(db.sql, { clock: () => later });
    const { entries } = await after.search({ requestId: 'req-crash' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'feed-bot',
      action: 'ingest.run',
      parameters: { source: 'cipha' },
      outcome: 'error',
      reason: 'interrupted',
    });
    // Once only.
    await AuditTrail.open(db.sql, { clock: () => later });
    expect((await after.search({})).total).toBe(1);
    expect((await after.verify()).intact).toBe(true);
  });

  it('leaves a settled intent no trace and a recent one (maybe still running) alone', async () => {
    const t0 = new Date('2026-01-01T10:00:00Z');
    const trail = await AuditTrail.open(db.sql, { clock: () => t0 });
    await trail.recordIntent('settled', { ...call, requestId: 'req-done' });
    await trail.settleIntent('settled');
    await trail.recordIntent('running', { ...call, requestId: 'req-running' });
    await AuditTrail.open(db.sql, { clock: () => new Date(t0.getTime() + 60_000) });
    expect((await trail.search({})).total).toBe(0);
  });

  it('writes 50 concurrent intents, each once, and settles each with its own entry', async () => {
    const trail = await AuditTrail.open(db.sql);
    const ids = Array.from({ length: 50 }, (_, i) => `intent-${i}`);
    await Promise.all(ids.map((id, i) => trail.recordIntent(id, { ...call, requestId: `r-${i}` })));
    const stored = await db.sql<{ id: string; request_id: string; parameters: unknown }[]>`
      select id, request_id, parameters from governance.audit_intents order by id`;
    expect(stored.map((r) => r.id)).toEqual([...ids].sort());
    expect(stored.find((r) => r.id === 'intent-7')).toEqual({
      id: 'intent-7',
      request_id: 'r-7',
      parameters: { source: 'cipha' },
    });
    // Half the calls finish: their entries are written and their intents gone, the rest stay.
    const entries = await Promise.all(
      ids
        .filter((_, i) => i % 2 === 0)
        .map((id, i) =>
          trail.record({ ...call, outcome: 'ok', requestId: `done-${i}` }, { settlesIntent: id }),
        ),
    );
    expect(new Set(entries.map((e) => e.sequence)).size).toBe(25);
    const left = await db.sql<
      { id: string }[]
    >`select id from governance.audit_intents order by id`;
    expect(left.map((r) => r.id)).toEqual(ids.filter((_, i) => i % 2 === 1).sort());
    expect((await trail.search({})).total).toBe(25);
    expect((await trail.verify()).intact).toBe(true);
  });

  it('keeps the intent when its entry cannot be written (the call fails, the trace stays)', async () => {
    const trail = await AuditTrail.open(db.sql);
    await trail.recordIntent('kept', call);
    await expect(
      trail.record({ ...call, parameters: { nhsNumber: '9994765914' } } as never, {
        settlesIntent: 'kept',
      }),
    ).rejects.toBeInstanceOf(Error);
    const left = await db.sql<{ id: string }[]>`select id from governance.audit_intents`;
    expect(left.map((r) => r.id)).toEqual(['kept']);
  });
});
