import { openDatabase, type Database } from '@linkage/database';
import { controlTable, DEFAULT_DISCLOSURE_POLICY } from '@linkage/domain';
import { createFreshDatabase } from '@linkage/testing';
import { ensureReadModel } from '../../../projector/src';
import { AreaQueries } from './areas.queries';

/** LSOA -> [residents, of whom Life Rooms users]; plus people who opted out, never counted. */
const POPULATION: Record<string, [number, number]> = {
  E01000001: [40, 20],
  E01000002: [30, 3],
  E01000003: [50, 15],
  E01000004: [25, 0],
  E01000005: [5, 2],
};

describe('Life Rooms reach by LSOA (real PostgreSQL)', () => {
  let fresh: Awaited<ReturnType<typeof createFreshDatabase>>;
  let db: Database;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_areas');
    db = await openDatabase({ url: fresh.url });
    await ensureReadModel(db.sql);
    let n = 0;
    const person = async (lsoa: string | null, user: boolean, optedOut = false) => {
      const id = `p${String(++n).padStart(5, '0')}`;
      await db.sql`insert into read_model.person_profile (person_id, lsoa, opted_out, doc)
                   values (${id}, ${lsoa}, ${optedOut}, '{}'::jsonb)`;
      if (!user) return;
      // Two Life Rooms subjects for one person (e.g. a walk-in linked later): still one user.
      for (const subject of [id, `unlinked-${id}`]) {
        await db.sql`insert into read_model.life_rooms (subject, person_id, index_date, contacts, visits,
            course_enrolments, sessions_attended, referrals, pathways_contacts, prescriptions,
            visits_by_site, prescriptions_by_need, outcomes_by_need, doc)
          values (${subject}, ${id}, '2022-01-10', 1, 1, 0, 0, 0, 0, 0, '{}'::jsonb, '{}'::jsonb,
                  '{}'::jsonb, '{}'::jsonb)`;
      }
    };
    for (const [lsoa, [residents, users]] of Object.entries(POPULATION)) {
      for (let i = 0; i < residents; i++) await person(lsoa, i < users);
      await person(lsoa, true, true); // opted out: in no count
    }
    await person(null, true); // no LSOA: not on the map
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('publishes the counts as one controlled table and reach only where both counts are published', async () => {
    const result = await new AreaQueries(db.sql).lsoaReach();
    const body = result.body as unknown as {
      areas: Array<{
        lsoa: string;
        residents: number | null;
        users: number | null;
        reachPer1000: number | null;
      }>;
    };
    const codes = Object.keys(POPULATION).sort();
    expect(body.areas.map((a) => a.lsoa)).toEqual(codes);
    const expected = controlTable(
      codes.map((c) => POPULATION[c]),
      DEFAULT_DISCLOSURE_POLICY,
    );
    body.areas.forEach((a, i) => {
      expect([a.lsoa, a.residents, a.users]).toEqual([a.lsoa, ...expected.cells[i]]);
      for (const count of [a.residents, a.users]) {
        if (count !== null) {
          expect(count === 0 || count > DEFAULT_DISCLOSURE_POLICY.threshold).toBe(true);
          expect(count % DEFAULT_DISCLOSURE_POLICY.rounding).toBe(0);
        }
      }
      const [residents, users] = POPULATION[a.lsoa];
      expect(a.reachPer1000).toBe(
        a.residents === null || a.users === null
          ? null
          : Math.round((users / residents) * 1000 * 10) / 10,
      );
    });
    // 20 of 40 residents (the opted-out user counts in neither): 500 per 1,000.
    expect(body.areas[0]).toEqual({
      lsoa: 'E01000001',
      residents: 40,
      users: 20,
      reachPer1000: 500,
    });
    // 3 users is a small number: suppressed, and so is the reach it would give away.
    expect(body.areas[1]).toMatchObject({ users: null, reachPer1000: null });
    expect(result.cellsSuppressed).toBe(expected.cellsSuppressed);
    expect(result.cellsSuppressed).toBeGreaterThan(0);
    expect(result.rows[0]).toEqual({
      lsoa: 'E01000001',
      residents: 40,
      users: 20,
      reach_per_1000: 500,
    });
  });
});
