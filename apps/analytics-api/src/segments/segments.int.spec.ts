import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import { eventIdFor } from '@linkage/contracts';
import {
  loadMembership,
  membershipStream,
  runSegmentation,
  catchUp,
  type SegmentationRunSummary,
} from '../../../projector/src';
import { createAnalyticsApp, type AnalyticsApp } from '../create-analytics-app';
import { ingestedPopulation, type PipelineFixture } from '../testing/pipeline-fixture';
import { SUPPRESSED_CSV_MARK } from '../http/csv';
import { SEGMENT_AREA_LEVELS } from './segments.queries';

/** Keys whose values are counts of people: never 1 to 7 once published. */
const COUNT_KEY =
  /^(size|members|lifeRoomsUsers|nonUsers|totalMembers|totalLifeRoomsUsers|nUsers|nControls|changeSincePreviousRun)$/;
const PSEUDONYM = /\b[0-9a-f]{32}\b/;

function walk(value: unknown, visit: (key: string, v: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'provenance' || k === 'runs' || k === 'criteria') {
        if (k !== 'runs') continue;
      }
      visit(k, v);
      walk(v, visit);
    }
  }
}

// generate -> ingest -> project (the real pipeline, real PostgreSQL) -> segmentation runs.
describe('segmentation over an ingested population', () => {
  let fixture: PipelineFixture;
  let asOf: string;
  const first: Record<string, SegmentationRunSummary> = {};

  beforeAll(async () => {
    // Every Life Rooms record keeps its NHS number here, so linkage is perfect and the truth
    // (which assumes perfect linkage) must be recovered exactly; all other dirt stays.
    fixture = await ingestedPopulation({
      cohort: 300,
      seed: 'segments-int',
      dirt: { no_nhs_number: 0 },
    });
    asOf = fixture.manifest.parameters.endDate;
    for (const id of SHIPPED_RULESETS) {
      first[id] = await runSegmentation({
        sql: fixture.db.sql,
        store: fixture.store,
        ruleset: loadRuleset(id),
        asOf,
        actor: 'test',
      });
    }
  }, 240_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it.each([...SHIPPED_RULESETS])('recovers the manifest’s true sizes of %s exactly', async (id) => {
    const truth = fixture.manifest.segments!.rulesets[id];
    expect(first[id].rulesetVersion).toBe(truth.version);
    expect(Object.values(truth.sizes).some((n) => n > 0)).toBe(true);
    const [{ unattributed }] = await fixture.db.sql<{ unattributed: number }[]>`
      select count(*)::int as unattributed from read_model.life_rooms where person_id is null`;
    expect(unattributed).toBe(0);
    expect(first[id].sizes).toEqual(truth.sizes);
    expect(Object.keys(first[id].sizes).sort()).toEqual(Object.keys(truth.sizes).sort());
  });

  it('places every person of the population in exactly one Bridges to Health segment', async () => {
    const sizes = first['bridges-to-health'].sizes;
    const top = Object.entries(sizes)
      .filter(([key]) => key.split('.').length === 2)
      .reduce((a, [, n]) => a + n, 0);
    const [{ n }] = await fixture.db.sql<{ n: number }[]>`
      select count(*)::int as n from read_model.person_profile
      where not opted_out and (death_date is null or death_date > ${asOf}::date)`;
    expect(top).toBe(n);
  });

  it('records only changes: a second run over the same data appends no event', async () => {
    const before = await fixture.store.readStream(membershipStream('system-p'));
    const again = await runSegmentation({
      sql: fixture.db.sql,
      store: fixture.store,
      ruleset: loadRuleset('system-p'),
      asOf,
      actor: 'test',
    });
    expect([again.assigned, again.removed]).toEqual([0, 0]);
    expect(again.sizes).toEqual(first['system-p'].sizes);
    expect(await fixture.store.readStream(membershipStream('system-p'))).toHaveLength(
      before.length,
    );
    const assigned = before.filter((e) => e.type === 'SegmentMemberAssigned');
    expect(assigned).toHaveLength(
      Object.values(first['system-p'].sizes).reduce((a, b) => a + b, 0),
    );
    expect(assigned[0].data).toMatchObject({
      runId: first['system-p'].runId,
      rulesetVersion: '1.0.0',
      asOf,
      criteria: expect.arrayContaining([expect.any(String)]),
    });
  });

  it('takes someone who opts out out of every segment, recording why', async () => {
    const [member] = await fixture.db.sql<{ person_id: string }[]>`
      select person_id from segmentation.member where ruleset_id = 'bridges-to-health' limit 1`;
    await fixture.store.appendToStream(`person-${member.person_id}`, [
      {
        eventId: eventIdFor('cipha', 'segments-int-opt-out'),
        type: 'OptOutRecorded',
        schemaVersion: 1,
        data: {
          source: 'cipha',
          recordId: 'segments-int-opt-out',
          recordType: 'opt_out',
          occurredAt: '2025-03-01T10:00:00.000Z',
          personId: member.person_id,
          linkKey: null,
          keyId: 'test-key',
          optOutType: 'national_data_opt_out',
        },
        metadata: { receivedAt: new Date().toISOString() },
      },
    ]);
    await catchUp({ sql: fixture.db.sql, store: fixture.store });
    const run = await runSegmentation({
      sql: fixture.db.sql,
      store: fixture.store,
      ruleset: loadRuleset('bridges-to-health'),
      asOf,
      actor: 'test',
    });
    expect(run.assigned).toBe(0);
    expect(run.removed).toBeGreaterThanOrEqual(1);
    const { state } = await loadMembership(fixture.store, 'bridges-to-health');
    for (const members of state.members.values()) expect(members.has(member.person_id)).toBe(false);
    const events = await fixture.store.readStream(membershipStream('bridges-to-health'));
    const removals = events.filter((e) => e.type === 'SegmentMemberRemoved');
    expect(removals.length).toBe(run.removed);
    expect(removals.every((e) => e.data.personId === member.person_id)).toBe(true);
    expect(removals.every((e) => e.data.reason === 'opted_out')).toBe(true);
    const [{ n }] = await fixture.db.sql<{ n: number }[]>`
      select count(*)::int as n from segmentation.member where person_id = ${member.person_id}`;
    expect(n).toBe(0);
  });

  describe('reports', () => {
    let api: AnalyticsApp;
    let token: string;
    let officer: string;

    beforeAll(async () => {
      const jwtSecret = randomBytes(32);
      api = await createAnalyticsApp({ db: fixture.db, port: 0, store: fixture.store, jwtSecret });
      await new DsaRegistry(fixture.db.sql).add({
        ref: 'dsa-system-p',
        purposes: ['planning'],
        roles: ['segmentation-job', 'governance-officer'],
      });
      token = mintToken(
        { user: 'seg', role: 'segmentation-job', purpose: 'planning', dsa: 'dsa-system-p' },
        jwtSecret,
      ).token;
      officer = mintToken(
        { user: 'gov', role: 'governance-officer', purpose: 'planning', dsa: 'dsa-system-p' },
        jwtSecret,
      ).token;
    });
    afterAll(async () => {
      await api?.close();
    });
    const get = (path: string, accept = 'application/json', bearer = token) =>
      fetch(`${api.url}${path}`, { headers: { accept, authorization: `Bearer ${bearer}` } });

    const paths = [
      '/v1/segments',
      '/v1/segments?ruleset=system-p',
      '/v1/segments/bridges-to-health.long-term-conditions',
      '/v1/segments/bridges-to-health.generally-well?measure=crisis',
      '/v1/segments/system-p.complex-lives',
      '/v1/segments/operational.rising-risk',
      ...SEGMENT_AREA_LEVELS.map(
        (l) => `/v1/segments/bridges-to-health.generally-well/areas?level=${l}`,
      ),
      '/v1/segments/system-p.frailty-and-dementia/areas?level=lsoa',
      '/v1/segments/bridges-to-health.long-term-conditions.diabetes/trend',
    ];

    it('answers every report in JSON with no count from 1 to 7 and nothing person-level', async () => {
      for (const path of paths) {
        const res = await get(path);
        expect([path, res.status]).toEqual([path, 200]);
        const text = await res.text();
        expect(text).not.toMatch(PSEUDONYM);
        const body = JSON.parse(text) as Record<string, unknown>;
        expect([path, body.provenance]).toEqual([
          path,
          expect.objectContaining({ publishingPolicy: 'publishing-policy/1' }),
        ]);
        expect([path, Array.isArray(body.suppressed)]).toEqual([path, true]);
        walk(body, (key, v) => {
          if (COUNT_KEY.test(key) && typeof v === 'number' && key !== 'changeSincePreviousRun')
            expect([path, key, v >= 1 && v <= 7, v % 5]).toEqual([path, key, false, 0]);
        });
      }
    });

    it('answers every report in CSV with controlled counts', async () => {
      for (const path of paths) {
        const res = await get(path, 'text/csv');
        expect([path, res.status]).toEqual([path, 200]);
        const text = await res.text();
        expect(text).not.toMatch(PSEUDONYM);
        const rows = parse(text, { columns: true }) as Record<string, string>[];
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows)
          for (const [column, cell] of Object.entries(row))
            if (
              /^(size|members|life_rooms_users|non_users)$/.test(column) &&
              cell !== '' &&
              cell !== SUPPRESSED_CSV_MARK
            )
              expect([
                path,
                column,
                Number(cell) % 5,
                Number(cell) >= 1 && Number(cell) <= 7,
              ]).toEqual([path, column, 0, false]);
      }
    });

    it('gives the Life Rooms lens, with an outcome estimate only for segments large enough', async () => {
      const body = (await (await get('/v1/segments/bridges-to-health.generally-well')).json()) as {
        size: number;
        lifeRooms: { members: number; lifeRoomsUsers: number | null; outcome: unknown };
      };
      expect(body.size).toBeGreaterThan(0);
      expect(body.lifeRooms.lifeRoomsUsers).toBeGreaterThan(0);
      expect(body.lifeRooms.outcome).toMatchObject({ measure: 'ae', nUsers: expect.any(Number) });
      const small = (await (await get('/v1/segments/system-p.complex-lives')).json()) as {
        lifeRooms: { outcome: unknown; outcomeWithheld: string | null };
      };
      expect(small.lifeRooms).toMatchObject({
        outcome: null,
        outcomeWithheld: 'segment_too_small',
      });
    });

    it('shows the trend across runs', async () => {
      const body = (await (
        await get('/v1/segments/bridges-to-health.long-term-conditions/trend')
      ).json()) as { runs: { runId: string; changeSincePreviousRun: number | null }[] };
      expect(body.runs.length).toBe(2);
      expect(body.runs[0].changeSincePreviousRun).toBeNull();
      expect(typeof body.runs[1].changeSincePreviousRun).toBe('number');
    });

    it('refuses a role without read:segments, unknown segments and levels; audits each call', async () => {
      expect((await get('/v1/segments', 'application/json', officer)).status).toBe(403);
      expect((await fetch(`${api.url}/v1/segments`)).status).toBe(401);
      expect((await get('/v1/segments/system-p.nope')).status).toBe(404);
      expect((await get('/v1/segments/NOT AN ID')).status).toBe(400);
      expect((await get('/v1/segments/system-p.complex-lives/areas?level=street')).status).toBe(
        400,
      );
      const rows = await fixture.db.sql<{ action: string; outcome: string }[]>`
        select action, outcome from governance.audit_trail where actor = 'seg'`;
      expect(rows.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(
        paths.length * 2,
      );
      expect(rows.map((r) => r.action)).toEqual(
        expect.arrayContaining(['read segments', 'read segment areas', 'read segment trend']),
      );
    });
  });
});
