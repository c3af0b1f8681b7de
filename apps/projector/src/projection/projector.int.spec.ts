import { openDatabase, type Database } from '@linkage/database';
import { PostgresqlEventStore } from '@linkage/event-store';
import { canonicalEvent, createFreshDatabase, testPersonId } from '@linkage/testing';
import { catchUp } from './projector';
import { rebuildReadModels } from './rebuild';

const person = testPersonId;
const linkKey = 'f'.repeat(32);

const ev = canonicalEvent;

describe('projector (PostgreSQL)', () => {
  let fresh: { url: string; drop: () => Promise<void> };
  let db: Database;
  let store: PostgresqlEventStore;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_proj');
    db = await openDatabase({ url: fresh.url });
    store = new PostgresqlEventStore(db.sql);
    await store.init();
  });
  afterAll(async () => {
    await db.close();
    await fresh.drop();
  });

  it('projects profiles, Life Rooms (with late linking), service use and cost; rebuild gives the same', async () => {
    const p1 = person(1);
    const unlinked = [
      ev('VisitRecorded', '2022-01-05T10:00:00Z', {
        source: 'liferooms',
        personId: null,
        linkKey,
        site: 'walton',
      }),
      ev('WellbeingMeasured', '2022-01-05T11:00:00Z', {
        source: 'liferooms',
        personId: null,
        linkKey,
        timing: 'baseline',
        swemwbsMetric: 18.5,
      }),
    ];
    await store.appendMany([
      {
        streamId: `person-${p1}`,
        events: [
          ev('PersonRegistered', '2020-01-01T00:00:00Z', {
            personId: p1,
            yearOfBirth: 1980,
            sex: 'F',
            postcodeSector: 'L9 2',
            postcodeDistrict: 'L9',
            lsoa: 'E01006512',
            imdDecile: 1,
            localAuthority: 'Liverpool',
          }),
          ev('AeAttended', '2021-06-01T00:00:00Z', {
            personId: p1,
            departmentType: 1,
            disposal: 'discharged',
          }),
          ev('AeAttended', '2021-06-20T00:00:00Z', {
            personId: p1,
            departmentType: 1,
            disposal: 'discharged',
          }),
          ev('MentalHealthContactMade', '2022-03-01T00:00:00Z', {
            personId: p1,
            team: 'crht',
            contactType: 'telephone',
          }),
        ],
      },
      { streamId: `unlinked-${linkKey}`, events: unlinked },
    ]);
    await catchUp({ sql: db.sql, store, batchSize: 2 });
    const s = db.sql;
    expect(await s`select count(*)::int as n from read_model.cohort`).toEqual([{ n: 0 }]);

    const lateVisit = ev('VisitRecorded', '2022-02-05T10:00:00Z', {
      source: 'liferooms',
      personId: null,
      linkKey,
      site: 'bootle',
    });
    await store.appendMany([
      {
        streamId: `person-${p1}`,
        events: [
          ev('RecordLinked', '2022-02-01T00:00:00Z', {
            linkKey,
            personId: p1,
            eventIds: unlinked.map((e) => e.eventId),
          }),
          lateVisit,
          // A record linked at arrival is attributed by its own decision event too.
          ev('RecordLinked', '2022-02-05T10:00:00Z', {
            personId: p1,
            eventIds: [lateVisit.eventId],
            method: 'fuzzy',
          }),
          ev('OptOutRecorded', '2022-04-01T00:00:00Z', {
            personId: p1,
            optOutType: 'national_data_opt_out',
          }),
        ],
      },
    ]);
    await catchUp({ sql: db.sql, store, batchSize: 2 });

    const [cohort] =
      await s`select person_id, index_date::text as index_date from read_model.cohort`;
    expect(cohort).toEqual({ person_id: p1, index_date: '2022-01-05' });
    const [lr] =
      await s`select visits, visits_by_site, wellbeing_baseline from read_model.life_rooms`;
    expect(lr).toEqual({
      visits: 2,
      visits_by_site: { walton: 1, bootle: 1 },
      wellbeing_baseline: 18.5,
    });
    const [profile] =
      await s`select postcode_sector, imd_decile, opted_out from read_model.person_profile`;
    expect(profile).toEqual({ postcode_sector: 'L9 2', imd_decile: 1, opted_out: true });
    const monthly = await s`
      select month::text as month, activity, events, cost_gbp > 0 as costed, cost_source
      from read_model.service_use_monthly order by month, activity`;
    expect(monthly.map((m) => [m.month, m.activity, m.events, m.costed])).toEqual([
      ['2021-06-01', 'ae_attendance', 2, true],
      ['2022-03-01', 'crisis_contact', 1, false],
      ['2022-03-01', 'mental_health_contact', 1, true],
    ]);
    expect(monthly[0].cost_source).toMatch(/\|/);

    const snapshot = async () =>
      Promise.all(
        ['person_profile', 'life_rooms', 'record_link', 'activity', 'service_use_monthly'].map(
          (t) => s.unsafe(`select * from read_model.${t} x order by x::text`),
        ),
      );
    const live = await snapshot();
    await rebuildReadModels({ sql: db.sql, store, batchSize: 3 });
    expect(await snapshot()).toEqual(live);
  });
});
