import { openDatabase, type Database } from '@linkage/database';
import { DEFAULT_PUBLISHING_POLICY } from '@linkage/domain';
import { createFreshDatabase } from '@linkage/testing';
import { ensureReadModel } from '../../../projector/src';
import { binOf, swemwbsBins, WellbeingDistributionQueries } from './wellbeing-distributions';

interface Published {
  bin: string;
  from: number;
  to: number;
  people: number | null;
}

describe('SWEMWBS score distributions (real PostgreSQL)', () => {
  let fresh: Awaited<ReturnType<typeof createFreshDatabase>>;
  let db: Database;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_wellbeing_bins');
    db = await openDatabase({ url: fresh.url });
    await ensureReadModel(db.sql);
    let n = 0;
    const subject = async (
      personId: string,
      baseline: number | null,
      followUp: number | null,
      optedOut = false,
      subjectId = personId,
    ) => {
      if (subjectId === personId)
        await db.sql`insert into read_model.person_profile (person_id, opted_out, doc)
                     values (${personId}, ${optedOut}, '{}'::jsonb)`;
      await db.sql`insert into read_model.life_rooms (subject, person_id, index_date, contacts, visits,
          course_enrolments, sessions_attended, referrals, pathways_contacts, prescriptions,
          visits_by_site, prescriptions_by_need, outcomes_by_need, wellbeing_baseline,
          wellbeing_follow_up, doc)
        values (${subjectId}, ${personId}, '2022-01-10', 1, 1, 0, 0, 0, 0, 0, '{}'::jsonb,
                '{}'::jsonb, '{}'::jsonb, ${baseline}, ${followUp}, '{}'::jsonb)`;
    };
    const people = async (count: number, baseline: number | null, followUp: number | null) => {
      for (let i = 0; i < count; i++)
        await subject(`p${String(++n).padStart(4, '0')}`, baseline, followUp);
    };
    await people(19, 20.0, null); // bin 19-21
    // One person, two Life Rooms subjects (a walk-in linked later): counted once.
    await subject('p-twice', 20.0, null);
    await subject('p-twice', 20.0, null, false, 'unlinked-p-twice');
    await people(12, 21.0, null); // exactly 21 falls in 21-23
    await people(3, 23.0, null); // a small count: withheld
    await people(9, 35.0, null); // the top of the scale is in the last bin; 9 would round to 10
    await people(30, null, 27.0);
    await people(15, null, 29.5);
    // Opted out: in no count (else the 9-11 bin would show 10).
    for (let i = 0; i < 10; i++) await subject(`opted-${i}`, 9.5, 27.0, true);
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await fresh?.drop();
  });

  it('bins the metric scale 7-35 in steps of 2, the top score in the last bin, off-scale in none', () => {
    const bins = swemwbsBins();
    expect(bins.map((b) => b.label)).toEqual([
      '7-9', '9-11', '11-13', '13-15', '15-17', '17-19', '19-21',
      '21-23', '23-25', '25-27', '27-29', '29-31', '31-33', '33-35',
    ]); // prettier-ignore
    expect(binOf(7, bins)).toBe(0);
    expect(binOf(8.99, bins)).toBe(0);
    expect(binOf(9, bins)).toBe(1);
    expect(binOf(35, bins)).toBe(13);
    expect(binOf(6.9, bins)).toBe(-1);
    expect(binOf(35.1, bins)).toBe(-1);
    expect(binOf(Number.NaN, bins)).toBe(-1);
  });

  it('passes every bin through the publishing gate: small counts and their secondary withheld, never shown as 0', async () => {
    const result = await new WellbeingDistributionQueries(db.sql).distributions();
    const body = result.body as unknown as {
      baseline: Published[];
      followUp: Published[];
      binWidth: number;
      suppressed: Array<{ cell: string; rule: string }>;
      provenance: { publishingPolicy: { version: string } };
    };
    const shown = (d: Published[]) =>
      Object.fromEntries(d.filter((b) => b.people !== 0).map((b) => [b.bin, b.people]));
    expect(body.binWidth).toBe(2);
    expect(body.baseline).toHaveLength(14);
    expect(shown(body.baseline)).toEqual({
      '19-21': 20,
      '21-23': 10,
      '23-25': null, // 3 people
      '33-35': null, // secondary: with the total it would give the 3 away
    });
    expect(shown(body.followUp)).toEqual({ '27-29': 30, '29-31': 15 });
    expect(body.suppressed).toEqual([
      { cell: 'baseline/23-25', kind: 'count', rule: 'small_count' },
      { cell: 'baseline/33-35', kind: 'count', rule: 'secondary' },
    ]);
    expect(result.cellsSuppressed).toBe(2);
    expect(body.provenance.publishingPolicy.version).toBe(DEFAULT_PUBLISHING_POLICY.version);
    // CSV rows: both timings, suppressed as empty (null), never 0.
    expect(result.rows).toHaveLength(28);
    expect(result.rows).toContainEqual({
      timing: 'baseline',
      bin: '23-25',
      from: 23,
      to: 25,
      people: null,
    });
    expect(result.rows).toContainEqual({
      timing: 'follow_up',
      bin: '27-29',
      from: 27,
      to: 29,
      people: 30,
    });
  });
});
