import { randomUUID } from 'node:crypto';
import { ReleasedCellLedger } from '@linkage/governance';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { AnalyticsQueries, type Audience, type QueryResult } from './analytics.queries';

type Answer = QueryResult<Record<string, unknown>>;

/**
 * The gate's decisions are remembered per (request, ledger state) (gate-memo.ts), and a ledger
 * write is skipped when the DSA already holds everything an answer released. These tests hold
 * that path to the one that computes and gates every answer afresh, and check that each DSA
 * keeps its own ledger entries and its own differencing refusals.
 */
describe('the publishing gate remembered per request and ledger state', () => {
  let fixture: PipelineFixture;
  let ledger: ReleasedCellLedger;
  let remembered: AnalyticsQueries;
  let afresh: AnalyticsQueries;
  /** Every matched user but three: a lens whose population is three people from the whole. */
  let allButThree: string[];

  beforeAll(async () => {
    fixture = await ingestedPopulation({ cohort: 150, persons: 900, years: 3, seed: 'gate-memo' });
    ledger = new ReleasedCellLedger(fixture.db.sql);
    remembered = new AnalyticsQueries(fixture.db.sql, undefined, undefined, ledger);
    afresh = new AnalyticsQueries(fixture.db.sql, undefined, undefined, ledger, {
      cacheComputations: false,
    });
    const users = await fixture.db.sql<{ user_id: string }[]>`
      select distinct user_id from read_model.matched_pair order by user_id`;
    allButThree = users.slice(3).map((u) => u.user_id);
  }, 400_000); // generate, ingest, project and match on a loaded machine
  afterAll(async () => {
    await fixture?.close();
  });

  const audience = (dsa: string, output: string): Audience => ({ dsa, output });
  const newDsa = (name: string) => `DSA-${name}-${randomUUID()}`;
  const whole = (q: AnalyticsQueries, dsa: string) =>
    q.outcomes('crisis', 12, 12, audience(dsa, 'GET /v1/outcomes?measure=crisis'));
  const lens = (q: AnalyticsQueries, dsa: string) =>
    q.outcomes('crisis', 12, 12, audience(dsa, 'lens'), 3, allButThree);
  const rules = (a: Answer) => a.suppressed.map((s) => `${s.cell}:${s.rule}`);
  /** What a client receives: the JSON body and the CSV rows, byte for byte. */
  const bytes = (a: Answer) => JSON.stringify([a.body, a.rows]);

  it('answers every route byte for byte as the afresh path, asked once and asked again', async () => {
    const [a, c] = [newDsa('A'), newDsa('C')];
    const asks: Array<[string, (q: AnalyticsQueries, dsa: string) => Promise<Answer>]> = [
      ['cohort', (q, d) => q.cohort(audience(d, 'GET /v1/cohort'))],
      ['breakdown lsoa', (q, d) => q.breakdown('lsoa', 'ae', 12, audience(d, 'lsoa'))],
      ['breakdown site', (q, d) => q.breakdown('site', 'cost', 12, audience(d, 'site'))],
      ['outcomes', whole],
      ['wellbeing', (q, d) => q.wellbeing(audience(d, 'GET /v1/wellbeing'))],
      ['balance', (q, d) => q.balance(audience(d, 'GET /v1/matching/balance'))],
      ['event study', (q, d) => q.eventStudy('ae', audience(d, 'event-study'))],
    ];
    for (const [route, ask] of asks) {
      const direct = await ask(afresh, c);
      const first = await ask(remembered, a);
      const again = await ask(remembered, a);
      expect([route, bytes(first)]).toEqual([route, bytes(direct)]);
      expect([route, bytes(again)]).toEqual([route, bytes(direct)]);
    }
    // The same entries in both ledgers: the skipped writes were writes of nothing.
    const families = async (dsa: string) =>
      (await ledger.history(dsa)).map((e) => [e.output, e.populations]);
    expect(await families(a)).toEqual(await families(c));
    expect((await ledger.history(a)).length).toBeGreaterThanOrEqual(asks.length - 1);
  });

  it('refuses the lens three users short of the whole to the DSA holding the whole, on every ask', async () => {
    const a = newDsa('A');
    const first = await whole(remembered, a);
    expect(rules(first)).not.toContain('did:differencing');
    expect(first.body.did).not.toBeNull();
    for (let ask = 0; ask < 3; ask++) {
      const refused = await lens(remembered, a);
      expect(refused.suppressed).toEqual(
        expect.arrayContaining([{ cell: 'did', kind: 'estimate', rule: 'differencing' }]),
      );
      expect(refused.body.did).toBeNull();
    }
    // Asked again, the whole is still given (it is what the DSA holds) and nothing is appended.
    const entries = (await ledger.history(a)).length;
    expect(bytes(await whole(remembered, a))).toEqual(bytes(first));
    expect(await ledger.history(a)).toHaveLength(entries);
  });

  it('keeps a second DSA apart: its own answers, its own ledger entries, its own refusals', async () => {
    const [a, b] = [newDsa('A'), newDsa('B')];
    // A holds the whole first and is refused the lens (decisions now remembered for A's state).
    await whole(remembered, a);
    expect(rules(await lens(remembered, a))).toContain('did:differencing');
    const entriesOfA = await ledger.history(a);

    // B asks in the other order: the lens is B's first answer, so B gets it ...
    const lensForB = await lens(remembered, b);
    expect(rules(lensForB)).not.toContain('did:differencing');
    expect(lensForB.body.did).not.toBeNull();
    expect(await ledger.history(b)).toHaveLength(1);
    expect((await ledger.history(b))[0].output).toBe('lens');
    // ... and the whole, which A was given, is refused to B by differencing against B's lens.
    const wholeForB = await whole(remembered, b);
    expect(wholeForB.suppressed).toEqual(
      expect.arrayContaining([{ cell: 'did', kind: 'estimate', rule: 'differencing' }]),
    );
    expect(wholeForB.body.did).toBeNull();
    // The same two asks afresh for a third DSA decide the same.
    const c = newDsa('C');
    expect(bytes(await lens(afresh, c))).toEqual(bytes(lensForB));
    expect(bytes(await whole(afresh, c))).toEqual(bytes(wholeForB));
    // B's asks changed nothing in A's ledger, and A is still given the whole.
    expect(await ledger.history(a)).toEqual(entriesOfA);
    expect((await whole(remembered, a)).body.did).not.toBeNull();
  });

  it('checks concurrent askers of two DSAs each against their own ledger', async () => {
    const [a, b] = [newDsa('A'), newDsa('B')];
    await whole(remembered, a);
    const answers = await Promise.all([
      lens(remembered, a),
      lens(remembered, b),
      lens(remembered, a),
      lens(remembered, b),
    ]);
    expect(answers.map((x) => x.body.did === null)).toEqual([true, false, true, false]);
    expect(bytes(answers[2])).toEqual(bytes(answers[0]));
    expect(bytes(answers[3])).toEqual(bytes(answers[1]));
    expect((await ledger.history(b)).map((e) => e.output)).toContain('lens');
  });
});
