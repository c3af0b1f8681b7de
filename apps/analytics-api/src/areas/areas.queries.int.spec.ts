import { openDatabase, type Database } from '@linkage/database';
import { DEFAULT_PUBLISHING_POLICY } from '@linkage/domain';
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

  it('passes every number through the publishing gate: counts, secondary suppression, reach of rounded counts', async () => {
    const result = await new AreaQueries(db.sql).lsoaReach();
    const body = result.body as unknown as {
      areas: unknown[];
      totalResidents: number | null;
      totalUsers: number | null;
      provenance: { publishingPolicy: { version: string } };
    };
    expect(body.areas).toEqual([
      // 20 of 40 residents (the opted-out user counts in neither): 500 per 1,000.
      { lsoa: 'E01000001', residents: 40, users: 20, reachPer1000: 500 },
      // 3 users is a small count: withheld, and so is the reach it would give away.
      { lsoa: 'E01000002', residents: 30, users: null, reachPer1000: null },
      { lsoa: 'E01000003', residents: 50, users: 15, reachPer1000: 300 },
      // Secondary suppression: E's 5 residents alone in the column would follow from the total.
      { lsoa: 'E01000004', residents: null, users: 0, reachPer1000: null },
      { lsoa: 'E01000005', residents: null, users: null, reachPer1000: null },
    ]);
    expect([body.totalResidents, body.totalUsers]).toEqual([150, 40]);
    expect(body.provenance.publishingPolicy.version).toBe(DEFAULT_PUBLISHING_POLICY.version);
    expect(result.cellsSuppressed).toBe(7); // B users, D and E residents, E users, three reaches
    expect(result.rows[0]).toEqual({
      lsoa: 'E01000001',
      residents: 40,
      users: 20,
      reach_per_1000: 500,
    });
  });
});
