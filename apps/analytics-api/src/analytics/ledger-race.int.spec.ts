import { randomBytes, randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import { DsaRegistry, mintToken, ReleasedCellLedger } from '@linkage/governance';
import { createAnalyticsApp, type AnalyticsApp } from '../create-analytics-app';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { ANALYTICS_QUERIES } from './analytics-query-support';
import { AnalyticsQueries, type Audience } from './analytics.queries';

const WHOLE = 'GET /v1/outcomes?measure=crisis';
const LENS = 'lens';
const ROUNDS = 20;

/**
 * The differencing check against a DSA's released-cell ledger, under requests at once: the whole
 * cohort's estimate and a lens three users short of it, asked by one DSA at the same time, must
 * never both be published (each alone would be; the second of the two is the difference). The
 * check and the ledger write are one step per DSA (ReleasedCellLedger.checkAndRecord, an
 * advisory lock per DSA), in one process and across two on the same database.
 */
describe('the differencing check under concurrent requests of one DSA', () => {
  let fixture: PipelineFixture;
  /** A second pool on the same database: a second API process. */
  let otherProcess: Database;
  let queries: AnalyticsQueries;
  let otherQueries: AnalyticsQueries;
  let allButThree: string[];

  beforeAll(async () => {
    fixture = await ingestedPopulation({
      cohort: 150,
      persons: 900,
      years: 3,
      seed: 'ledger-race',
    });
    otherProcess = await openDatabase({ url: fixture.url });
    queries = new AnalyticsQueries(
      fixture.db.sql,
      undefined,
      undefined,
      new ReleasedCellLedger(fixture.db.sql),
    );
    otherQueries = new AnalyticsQueries(
      otherProcess.sql,
      undefined,
      undefined,
      new ReleasedCellLedger(otherProcess.sql),
    );
    const users = await fixture.db.sql<{ user_id: string }[]>`
      select distinct user_id from read_model.matched_pair order by user_id`;
    allButThree = users.slice(3).map((u) => u.user_id);
  }, 400_000); // generate, ingest, project and match on a loaded machine
  afterAll(async () => {
    await otherProcess?.close();
    await fixture?.close();
  });

  const audience = (dsa: string, output: string): Audience => ({ dsa, output });
  const newDsa = (name: string) => `DSA-${name}-${randomUUID()}`;
  const whole = (q: AnalyticsQueries, dsa: string) =>
    q.outcomes('crisis', 12, 12, audience(dsa, WHOLE));
  const lens = (q: AnalyticsQueries, dsa: string) =>
    q.outcomes('crisis', 12, 12, audience(dsa, LENS), 3, allButThree);
  const outputs = async (dsa: string) =>
    (await new ReleasedCellLedger(fixture.db.sql).history(dsa)).map((h) => h.output);
  /** Which of the two had its estimate published (`did` not withheld). */
  const publishedOf = (
    w: { body: Record<string, unknown> },
    l: { body: Record<string, unknown> },
  ) =>
    [w.body.did !== null ? WHOLE : undefined, l.body.did !== null ? LENS : undefined].filter(
      (o): o is string => o !== undefined,
    );

  /** Asserts the one-of-two outcome for a round, and that the ledger holds exactly that one. */
  async function expectExactlyOnePublished(
    dsa: string,
    round: number,
    w: { body: Record<string, unknown> },
    l: { body: Record<string, unknown> },
  ) {
    const published = publishedOf(w, l);
    // Exactly one of the two, whichever took the DSA's lock first; the other refused.
    expect([round, published.length]).toEqual([round, 1]);
    expect([round, await outputs(dsa)]).toEqual([round, published]);
  }

  it('each alone is published to a DSA holding nothing (so a refusal below is the differencing check)', async () => {
    const [a, b] = [newDsa('alone-whole'), newDsa('alone-lens')];
    expect((await whole(queries, a)).body.did).not.toBeNull();
    expect((await lens(queries, b)).body.did).not.toBeNull();
    // Asked one after the other by one DSA: the lens is refused.
    const refused = await lens(queries, a);
    expect(refused.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'did', kind: 'estimate', rule: 'differencing' }]),
    );
  }, 120_000);

  it(`publishes exactly one of the whole and the lens asked at once, in ${ROUNDS} rounds and both orders (one process)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dsa = newDsa(`one-process-${round}`);
      const [w, l] =
        round % 2 === 0
          ? await Promise.all([whole(queries, dsa), lens(queries, dsa)])
          : (await Promise.all([lens(queries, dsa), whole(queries, dsa)])).reverse();
      await expectExactlyOnePublished(dsa, round, w, l);
    }
  }, 300_000);

  it(`publishes exactly one of the two asked at once through two processes on one database, in ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const dsa = newDsa(`two-processes-${round}`);
      const [w, l] =
        round % 2 === 0
          ? await Promise.all([whole(queries, dsa), lens(otherQueries, dsa)])
          : (await Promise.all([lens(queries, dsa), whole(otherQueries, dsa)])).reverse();
      await expectExactlyOnePublished(dsa, round, w, l);
    }
  }, 300_000);

  it("answers another DSA while one DSA's lock is held, and serves a DSA's repeat without its lock", async () => {
    const [held, other] = [newDsa('held'), newDsa('other')];
    const first = await whole(queries, held);
    expect(first.body.did).not.toBeNull();
    // Another process holds the lock of `held` (as a request of that DSA checking and recording).
    const holder = await openDatabase({ url: fixture.url, max: 1 });
    let releaseLock!: () => void;
    const lockReleased = new Promise<void>((resolve) => (releaseLock = resolve));
    let lockTaken!: () => void;
    const lockIsHeld = new Promise<void>((resolve) => (lockTaken = resolve));
    const holding = holder.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7301102, hashtext(${held}))`;
      lockTaken();
      await lockReleased;
    });
    try {
      await lockIsHeld;
      // The repeat of what `held` already holds: nothing new, so no lock needed.
      const repeat = await whole(otherQueries, held);
      expect(repeat.body).toEqual(first.body);
      // Another DSA's new release takes its own lock.
      const forOther = await lens(otherQueries, other);
      expect(forOther.body.did).not.toBeNull();
      expect(await outputs(other)).toEqual([LENS]);
      // A new release for `held` (the cohort) waits for its lock: nothing recorded meanwhile.
      let settled = false;
      const waiting = otherQueries
        .cohort(audience(held, 'GET /v1/cohort'))
        .finally(() => (settled = true));
      // Once the other DSA's next answer is back (a full round trip later), still waiting.
      expect((await whole(otherQueries, other)).body.did).toBeNull();
      expect(settled).toBe(false);
      expect(await outputs(held)).toEqual([WHOLE]);
      releaseLock();
      await holding;
      expect((await waiting).cellsSuppressed).toBeGreaterThanOrEqual(0);
      expect(await outputs(held)).toEqual([WHOLE, 'GET /v1/cohort']);
    } finally {
      releaseLock();
      await holding.catch(() => undefined);
      await holder.close();
    }
  }, 120_000);

  describe('over HTTP, two API apps on one database', () => {
    let jwtSecret: Buffer;
    const apps: AnalyticsApp[] = [];

    beforeAll(async () => {
      jwtSecret = randomBytes(32);
      apps.push(
        await createAnalyticsApp({ db: fixture.db, port: 0, store: fixture.store, jwtSecret }),
      );
      apps.push(
        await createAnalyticsApp({ db: otherProcess, port: 0, store: fixture.store, jwtSecret }),
      );
    }, 120_000);
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it(`publishes exactly one of the whole (HTTP, one app) and the lens (the other app) asked at once, in ${ROUNDS} rounds`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const dsa = newDsa(`http-${round}`);
        await new DsaRegistry(fixture.db.sql).add({
          ref: dsa,
          purposes: ['evaluation'],
          roles: ['analyst'],
        });
        const { token } = mintToken(
          { user: `analyst-${round}`, role: 'analyst', purpose: 'evaluation', dsa },
          jwtSecret,
        );
        const [http, inProcess] = round % 2 === 0 ? [apps[0], apps[1]] : [apps[1], apps[0]];
        const lensQueries = inProcess.app.get<AnalyticsQueries>(ANALYTICS_QUERIES);
        const askWhole = async () => {
          const res = await fetch(`${http.url}/v1/outcomes?measure=crisis`, {
            headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          });
          expect(res.status).toBe(200);
          return { body: (await res.json()) as Record<string, unknown> };
        };
        const askLens = () => lens(lensQueries, dsa);
        const [w, l] =
          round % 2 === 0
            ? await Promise.all([askWhole(), askLens()])
            : (await Promise.all([askLens(), askWhole()])).reverse();
        await expectExactlyOnePublished(dsa, round, w, l);
      }
    }, 300_000);
  });
});
