import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLogger } from '@linkage/common';
import { openDatabase, type Database } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { createFreshDatabase, readEntireLog } from '@linkage/testing';
import { createInProcessTransport } from '@linkage/transport';
import { testNhsNumbers } from '../../../ingest/src/testing/ingest-fixtures';
import { reviewBandExtract } from '../../../ingest/src/testing/review-band';
import { runFileIngest } from '../../../ingest/src';
import { catchUp } from '../../../projector/src';
import { decideReview, listReviewCandidates } from './clerical-review';

/**
 * Clerical review on a real database: a walk-in with a misspelt given name who has also moved
 * scores in the review band; the officer's accept links it (a decision event the projector
 * follows), a later reject unlinks it, and the automatic linker leaves it alone after that.
 */
const [nhs] = testNhsNumbers(1, 3);

describe('clerical review', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let store: EventStore;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-review-'));

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_review');
    db = await openDatabase({ url: fresh.url });
    store = await openEventStore({ db });
    const logger = createLogger('test', { level: 'warn' });
    logger.level = 'warn';
    const file = path.join(dir, 'liferooms.ndjson');
    fs.writeFileSync(file, reviewBandExtract(nhs));
    const transport = createInProcessTransport();
    try {
      await runFileIngest({
        source: 'liferooms',
        files: [file],
        transport,
        db,
        logger,
        // A fixed key: Bloom-filter bits depend on it, and the pair must score in the band.
        pseudonymiser: new Pseudonymiser({ key: Buffer.alloc(32, 7), keyId: 'test-key' }),
        postcodes: loadPostcodeLookup(),
        store,
        embeddedWriter: true,
        progress: false,
      });
    } finally {
      await transport.close();
    }
  }, 60_000);

  afterAll(async () => {
    await store.close();
    await db.close();
    await fresh.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const lifeRooms = () =>
    db.sql<{ subject: string; person_id: string | null }[]>`
      select subject, person_id from read_model.life_rooms order by subject`;

  it('lists the doubtful pair by field similarities and score, never identifiers', async () => {
    const candidates = await listReviewCandidates(db);
    expect(candidates).toHaveLength(1);
    const [c] = candidates;
    expect(c.status).toBe('review');
    expect(c.weight).toBeGreaterThanOrEqual(4);
    expect(c.weight).toBeLessThan(10);
    expect(c.similarities.familyName).toBe(1);
    expect(c.similarities.dateOfBirth).toBe(1);
    expect(c.similarities.givenName).toBeLessThan(0.99);
    expect(JSON.stringify(candidates)).not.toMatch(
      /aur[ei]lia|quennell|1980-03-04|l9 ?2af|l4 ?0th/i,
    );
    expect(JSON.stringify(candidates)).not.toContain(nhs);
    await catchUp({ sql: db.sql, store });
    expect((await lifeRooms()).filter((r) => r.person_id === null)).toHaveLength(1);
  });

  it('links on accept: a clerical RecordLinked event the read models follow', async () => {
    const [c] = await listReviewCandidates(db);
    const result = await decideReview({
      db,
      store,
      recordEventId: c.recordEventId,
      candidatePersonId: c.candidatePersonId,
      decision: 'accept',
      now: new Date('2024-01-01T00:00:00Z'),
    });
    expect(result).toMatchObject({ status: 'linked', events: 1 });
    const log = await readEntireLog(store);
    const linked = log.filter((e) => e.type === 'RecordLinked');
    expect(linked).toHaveLength(1);
    expect(linked[0].data).toMatchObject({ method: 'clerical', eventIds: [c.recordEventId] });
    expect(linked[0].streamId).toBe(`person-${c.candidatePersonId}`);
    await catchUp({ sql: db.sql, store });
    expect(await lifeRooms()).toEqual([
      { subject: `person:${c.candidatePersonId}`, person_id: c.candidatePersonId },
    ]);
    expect(await listReviewCandidates(db)).toEqual([]);
  });

  it('unlinks on a later reject (a new event, never an edit) and refuses unknown pairs', async () => {
    const [row] = await db.sql<{ event_id: string; person_id: string }[]>`
      select event_id::text as event_id, person_id from linkage.record_links`;
    const result = await decideReview({
      db,
      store,
      recordEventId: row.event_id,
      candidatePersonId: row.person_id,
      decision: 'reject',
      now: new Date('2024-01-02T00:00:00Z'),
    });
    expect(result).toMatchObject({ status: 'unlinked', events: 1 });
    const log = await readEntireLog(store);
    expect(log.map((e) => e.type).filter((t) => t.startsWith('Record'))).toEqual([
      'RecordLinked',
      'RecordUnlinked',
    ]);
    await catchUp({ sql: db.sql, store });
    const rows = await lifeRooms();
    expect(rows.filter((r) => r.person_id === null).map((r) => r.subject)).toEqual([
      `record:${row.event_id}`,
    ]);
    await expect(
      decideReview({
        db,
        store,
        recordEventId: row.event_id,
        candidatePersonId: 'f'.repeat(32),
        decision: 'accept',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      decideReview({
        db,
        store,
        recordEventId: 'not-a-uuid',
        candidatePersonId: row.person_id,
        decision: 'accept',
        now: new Date(),
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
