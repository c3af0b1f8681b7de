import { randomBytes, randomUUID } from 'node:crypto';
import { DsaRegistry, mintToken, ReleasedCellLedger } from '@linkage/governance';
import { catchUp } from '../../../projector/src';
import { AnalyticsQueries, type Audience } from '../analytics/analytics.queries';
import { createAnalyticsApp, type AnalyticsApp } from '../create-analytics-app';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';

/** What a client receives, headers that describe the answer included. */
interface Received {
  status: number;
  text: string;
  headers: Record<string, string | null>;
}

const ANSWER_HEADERS = [
  'content-type',
  'content-length',
  'etag',
  'x-linkage-provenance',
  'x-linkage-policy-version',
  'x-linkage-suppressed',
];

const ROUTES = [
  '/v1/cohort',
  '/v1/outcomes?measure=crisis',
  '/v1/outcomes?measure=cost',
  '/v1/outcomes?measure=ae&before=24&after=6&washout=6',
  '/v1/outcomes/event-study?measure=ae',
  '/v1/breakdowns/lsoa?measure=ae',
  '/v1/breakdowns/imd-decile?measure=cost',
  '/v1/breakdowns/site?measure=crisis',
  '/v1/wellbeing',
  '/v1/matching/balance',
];

const EXACT = { threshold: 0, rounding: 1 };

/**
 * The analytics API keeps each answer's JSON and CSV text per gate decision
 * (analytics/answer-memo.ts, serialised-answer.ts). These tests hold a served API with the
 * caches to one that computes, gates, formats and serialises every answer afresh, over real
 * HTTP on a small population run through the real pipeline; and check that the gate, each DSA's
 * ledger and the audit entry still happen on every request.
 */
describe('answers kept per gate decision, served over HTTP', () => {
  let fixture: PipelineFixture;
  let jwtSecret: Buffer;
  let cached: AnalyticsApp;
  let afresh: AnalyticsApp;
  const opened: AnalyticsApp[] = [];

  beforeAll(async () => {
    fixture = await ingestedPopulation({
      cohort: 150,
      persons: 900,
      years: 3,
      seed: 'answer-cache',
    });
    jwtSecret = randomBytes(32);
    cached = await serve({});
    afresh = await serve({ cacheComputations: false });
  }, 400_000); // generate, ingest, project and match on a loaded machine
  afterAll(async () => {
    for (const app of opened) await app.close();
    await fixture?.close();
  });

  async function serve(options: {
    cacheComputations?: boolean;
    disclosurePolicy?: typeof EXACT;
  }): Promise<AnalyticsApp> {
    const app = await createAnalyticsApp({
      db: fixture.db,
      port: 0,
      store: fixture.store,
      jwtSecret,
      ...options,
    });
    opened.push(app);
    return app;
  }

  /** A new DSA (nothing released to it yet) and a token of a new analyst under it. */
  async function newAnalyst(name: string): Promise<{ dsa: string; user: string; token: string }> {
    const dsa = `DSA-${name}-${randomUUID()}`;
    const user = `analyst-${name}-${randomUUID()}`;
    await new DsaRegistry(fixture.db.sql).add({
      ref: dsa,
      purposes: ['evaluation'],
      roles: ['analyst'],
    });
    const { token } = mintToken({ user, role: 'analyst', purpose: 'evaluation', dsa }, jwtSecret);
    return { dsa, user, token };
  }

  async function ask(
    app: AnalyticsApp,
    token: string,
    route: string,
    accept = 'application/json',
  ): Promise<Received> {
    const res = await fetch(`${app.url}${route}`, {
      headers: { authorization: `Bearer ${token}`, accept },
    });
    const headers: Record<string, string | null> = {};
    for (const name of ANSWER_HEADERS) headers[name] = res.headers.get(name);
    return { status: res.status, text: await res.text(), headers };
  }

  it.each(ROUTES)(
    '%s: JSON and CSV, asked once and again, equal byte for byte the answers made afresh',
    async (route) => {
      const [a, b] = [await newAnalyst('cached'), await newAnalyst('afresh')];
      for (const accept of ['application/json', 'text/csv']) {
        const first = await ask(cached, a.token, route, accept);
        const again = await ask(cached, a.token, route, accept);
        const directFirst = await ask(afresh, b.token, route, accept);
        const directAgain = await ask(afresh, b.token, route, accept);
        expect(first.status).toBe(200);
        expect(first.text.length).toBeGreaterThan(0);
        expect([accept, first]).toEqual([accept, directFirst]);
        expect([accept, again]).toEqual([accept, directAgain]);
      }
    },
    120_000,
  );

  it('still writes an audit entry for every request, with the answer size, when the answer is kept', async () => {
    const { user, token } = await newAnalyst('audited');
    const route = '/v1/breakdowns/lsoa?measure=ae';
    const warm = await ask(cached, token, route);
    const answer = JSON.parse(warm.text) as { cellsSuppressed: number };
    const concurrent = 24;
    const answers = await Promise.all(
      Array.from({ length: concurrent }, (_, i) =>
        ask(cached, token, route, i % 2 === 0 ? 'application/json' : 'text/csv'),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const entries = await fixture.db.sql<
      { outcome: string; result_size: number; cells_suppressed: number; request_id: string }[]
    >`select outcome, result_size, cells_suppressed, request_id from governance.audit_trail
      where actor = ${user}`;
    expect(entries).toHaveLength(concurrent + 1);
    expect(new Set(entries.map((e) => e.request_id)).size).toBe(concurrent + 1);
    const resultSize = entries[0].result_size;
    expect(resultSize).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        outcome: 'ok',
        result_size: resultSize,
        cells_suppressed: answer.cellsSuppressed,
      });
    }
    const [{ open }] = await fixture.db.sql<{ open: number }[]>`
      select count(*)::int as open from governance.audit_intents where actor = ${user}`;
    expect(open).toBe(0);
  }, 120_000);

  it('records each DSA in its own ledger, however hot the kept answer', async () => {
    const [x, y] = [await newAnalyst('x'), await newAnalyst('y')];
    const ledger = new ReleasedCellLedger(fixture.db.sql);
    for (const { token } of [x, x, y, y, x]) {
      expect((await ask(cached, token, '/v1/cohort')).status).toBe(200);
    }
    const outputs = async (dsa: string) => (await ledger.history(dsa)).map((h) => h.output);
    expect(await outputs(x.dsa)).toEqual(['GET /v1/cohort']);
    expect(await outputs(y.dsa)).toEqual(['GET /v1/cohort']);
  }, 120_000);

  it('refuses a DSA the difference it asks for on every ask, while another DSA holding less is answered', async () => {
    const ledger = new ReleasedCellLedger(fixture.db.sql);
    const queries = new AnalyticsQueries(fixture.db.sql, undefined, undefined, ledger);
    const users = await fixture.db.sql<{ user_id: string }[]>`
      select distinct user_id from read_model.matched_pair order by user_id`;
    const allButThree = users.slice(3).map((u) => u.user_id);
    const audience = (dsa: string, output: string): Audience => ({ dsa, output });
    const whole = (dsa: string) =>
      queries.outcomes('crisis', 12, 12, audience(dsa, 'GET /v1/outcomes?measure=crisis'));
    const lens = (dsa: string) =>
      queries.outcomes('crisis', 12, 12, audience(dsa, 'lens'), 3, allButThree);
    const [a, b] = [`DSA-A-${randomUUID()}`, `DSA-B-${randomUUID()}`];

    const wholeForA = await whole(a);
    expect(wholeForA.body.did).not.toBeNull();
    for (let i = 0; i < 3; i++) expect((await lens(a)).body.did).toBeNull();
    const lensForB = await lens(b);
    expect(lensForB.body.did).not.toBeNull();
    // Once B holds what the lens released, its ledger state stays put: the same kept answer.
    const [lensAgain, lensThird] = [await lens(b), await lens(b)];
    expect(lensAgain.body).toEqual(lensForB.body);
    expect(lensThird.body).toBe(lensAgain.body);
    for (let i = 0; i < 3; i++) expect((await whole(b)).body.did).toBeNull();
    expect((await whole(a)).body).toEqual(wholeForA.body);
    expect((await ledger.history(a)).map((h) => h.output)).toEqual([
      'GET /v1/outcomes?measure=crisis',
    ]);
    expect((await ledger.history(b)).map((h) => h.output)).toEqual(['lens']);
  }, 120_000);

  it('never serves a kept answer once the read models move (an opt-out): JSON and CSV as afresh', async () => {
    const [keeping, direct] = [
      await serve({ disclosurePolicy: EXACT }),
      await serve({ disclosurePolicy: EXACT, cacheComputations: false }),
    ];
    const [a, b] = [await newAnalyst('before-a'), await newAnalyst('before-b')];
    const routes = ['/v1/cohort', '/v1/breakdowns/imd-decile?measure=ae', '/v1/wellbeing'];
    const answers = async (app: AnalyticsApp, token: string) => {
      const out: Received[] = [];
      for (const route of routes)
        for (const accept of ['application/json', 'text/csv'])
          out.push(await ask(app, token, route, accept));
      return out;
    };
    await answers(keeping, a.token);
    const before = await answers(keeping, a.token); // hot
    await answers(direct, b.token);
    const sizeBefore = (JSON.parse(before[0].text) as { size: number }).size;

    const [{ person_id: optedOut }] = await fixture.db.sql<{ person_id: string }[]>`
      select l.person_id from read_model.life_rooms l
      join read_model.person_profile p using (person_id)
      where l.index_date is not null and l.wellbeing_change is not null
        and p.imd_decile is not null and not p.opted_out
      order by l.person_id limit 1`;
    const at = '2030-01-01T00:00:00Z';
    await fixture.store.appendToStream(`opt-out-${randomUUID()}`, [
      {
        eventId: randomUUID(),
        type: 'OptOutRecorded',
        schemaVersion: 1,
        data: {
          occurredAt: at,
          source: 'cipha',
          personId: optedOut,
          optOutType: 'national_data_opt_out',
        },
        metadata: { receivedAt: at },
      },
    ]);
    await catchUp({ sql: fixture.db.sql, store: fixture.store });

    // The same DSAs again (each now holds the old populations) and new ones (nothing held, as
    // a new DSA held nothing before the change): every answer as the afresh path gives it.
    const afterA = await answers(keeping, a.token);
    expect(afterA).toEqual(await answers(direct, b.token));
    const [c, d] = [await newAnalyst('after-c'), await newAnalyst('after-d')];
    const afterC = await answers(keeping, c.token);
    expect(afterC).toEqual(await answers(direct, d.token));
    expect((JSON.parse(afterC[0].text) as { size: number }).size).toBe(sizeBefore - 1);
    afterC.forEach((answer, i) => {
      expect([i, answer.text]).not.toEqual([i, before[i].text]);
      expect([i, answer.headers.etag]).not.toEqual([i, before[i].headers.etag]);
    });
  }, 180_000);
});
