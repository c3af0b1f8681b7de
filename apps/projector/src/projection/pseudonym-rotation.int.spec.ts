import { openDatabase, type Database } from '@linkage/database';
import { evaluatePerson, type PersonFacts } from '@linkage/domain';
import { PostgresqlEventStore, type EventToAppend } from '@linkage/event-store';
import { loadRuleset } from '@linkage/segmentation';
import { deterministicUuid } from '@linkage/contracts';
import { createFreshDatabase } from '@linkage/testing';
import { loadPersonFacts } from '../segmentation/load-person-facts';
import { catchUp } from './projector';
import { rebuildReadModels } from './rebuild';

const pseudonym = (label: string) => deterministicUuid(label).replace(/-/g, '');

/** One person's history in events, every pseudonym given by `idOf(before or after rotation)`. */
function history(idOf: (period: 'before' | 'after') => string, who: string) {
  let n = 0;
  const ev = (type: string, at: string, data: Record<string, unknown>): EventToAppend => ({
    eventId: deterministicUuid(`${who}:${(n += 1)}`),
    type,
    schemaVersion: 1,
    data: { occurredAt: at, source: 'cipha', ...data },
    metadata: { receivedAt: at },
  });
  const before = idOf('before');
  const after = idOf('after');
  return {
    before: [
      ev('PersonRegistered', '2019-01-01T00:00:00Z', {
        personId: before,
        yearOfBirth: 1975,
        sex: 'F',
        postcodeSector: 'L9 2',
        postcodeDistrict: 'L9',
        lsoa: 'E01006512',
        imdDecile: 1,
        localAuthority: 'Liverpool',
      }),
      ev('AeAttended', '2021-03-01T00:00:00Z', {
        personId: before,
        departmentType: 1,
        disposal: 'discharged',
      }),
      ev('VisitRecorded', '2021-06-01T10:00:00Z', {
        source: 'liferooms',
        personId: before,
        site: 'walton',
      }),
      ev('ConditionRecorded', '2020-05-01T00:00:00Z', {
        personId: before,
        cluster: 'smi',
      }),
    ],
    after: [
      ev('WellbeingMeasured', '2022-01-05T11:00:00Z', {
        source: 'liferooms',
        personId: after,
        timing: 'follow_up',
        swemwbsMetric: 22.1,
      }),
      ev('AeAttended', '2022-02-01T00:00:00Z', {
        personId: after,
        departmentType: 1,
        disposal: 'admitted',
      }),
      ev('OptOutRecorded', '2022-04-01T00:00:00Z', {
        personId: after,
        optOutType: 'national_data_opt_out',
      }),
    ],
  };
}

const rotated = (who: string, before: string, after: string): EventToAppend => ({
  eventId: deterministicUuid(`rotation:${who}`),
  type: 'PseudonymRotated',
  schemaVersion: 1,
  data: {
    kind: 'person',
    personId: after,
    previousPersonId: before,
    keyId: 'k-next',
    previousKeyId: 'k-first',
  },
  metadata: { receivedAt: '2022-01-01T00:00:00Z' },
});

const TABLES = ['person_profile', 'life_rooms', 'activity', 'service_use_monthly', 'condition'];

/**
 * Records that arrive after `linkage key rotate` carry the person's new pseudonym. The read
 * models follow the rotation event: everything stays filed under the first pseudonym, so the
 * read models, the segmentation's facts and its placements are exactly those of a world where
 * the key never changed, live and after a rebuild.
 */
describe('read models after a pseudonymisation key rotation', () => {
  const dbs: { fresh: { drop: () => Promise<void> }; db: Database; store: PostgresqlEventStore }[] =
    [];
  const open = async (name: string) => {
    const fresh = await createFreshDatabase(name);
    const db = await openDatabase({ url: fresh.url, max: 4 });
    const store = new PostgresqlEventStore(db.sql);
    await store.init();
    dbs.push({ fresh, db, store });
    return { db, store };
  };
  afterAll(async () => {
    for (const { fresh, db, store } of dbs) {
      await store.close();
      await db.close();
      await fresh.drop();
    }
  });

  const people = ['ann', 'bob'];
  const first = (who: string) => pseudonym(`first:${who}`);
  const second = (who: string) => pseudonym(`second:${who}`);
  const third = (who: string) => pseudonym(`third:${who}`);

  const snapshot = (db: Database) =>
    Promise.all(
      TABLES.map((t) => db.sql.unsafe(`select * from read_model.${t} x order by x::text`)),
    );
  const segmentation = async (db: Database) => {
    const ruleset = loadRuleset('system-p');
    const facts: PersonFacts[] = [];
    for await (const page of loadPersonFacts(db.sql, ruleset, '2022-03-01')) facts.push(...page);
    return { facts, placements: facts.map((f) => evaluatePerson(ruleset, f, '2022-03-01')) };
  };

  it('files records under the new pseudonym with the old one, even across two rotations', async () => {
    const never = await open('linkage_rot_never');
    const twice = await open('linkage_rot_twice');
    for (const who of people) {
      const unchanged = history(() => first(who), who);
      await never.store.appendMany([
        { streamId: `person-${first(who)}`, events: [...unchanged.before, ...unchanged.after] },
      ]);
      // Rotated twice: the later records carry the third pseudonym.
      const moved = history((p) => (p === 'before' ? first(who) : third(who)), who);
      await twice.store.appendMany([{ streamId: `person-${first(who)}`, events: moved.before }]);
      await catchUp({ sql: twice.db.sql, store: twice.store, batchSize: 3 });
      await twice.store.appendMany([
        {
          streamId: `person-${second(who)}`,
          events: [rotated(`${who}:1`, first(who), second(who))],
        },
        {
          streamId: `person-${third(who)}`,
          events: [rotated(`${who}:2`, second(who), third(who))],
        },
        // Delivered twice (a redelivery or a rotation run again): no change.
        {
          streamId: `person-${third(who)}-again`,
          events: [{ ...rotated(`${who}:2b`, second(who), third(who)) }],
        },
        { streamId: `person-${third(who)}`, events: moved.after },
      ]);
    }
    await catchUp({ sql: never.db.sql, store: never.store, batchSize: 3 });
    await catchUp({ sql: twice.db.sql, store: twice.store, batchSize: 2 });

    const expected = await snapshot(never.db);
    expect(expected[0]).toHaveLength(people.length); // the control has what it should
    expect(expected[1][0].wellbeing_follow_up).toBe(22.1);
    expect(await snapshot(twice.db)).toEqual(expected);
    const seg = await segmentation(never.db);
    expect(seg.facts.map((f) => f.personId).sort()).toEqual(people.map(first).sort());
    expect(await segmentation(twice.db)).toEqual(seg);

    const [aliases] = await twice.db.sql`
      select count(*)::int as n, count(distinct canonical_person_id)::int as canonical
      from read_model.person_alias`;
    expect(aliases).toEqual({ n: 4, canonical: 2 });
    // No person under a later pseudonym anywhere.
    const later = [...people.map(second), ...people.map(third)];
    for (const table of TABLES) {
      const [row] = await twice.db.sql.unsafe(
        `select count(*)::int as n from read_model.${table} where person_id = any($1::text[])`,
        [later],
      );
      expect({ table, n: row.n }).toEqual({ table, n: 0 });
    }

    await rebuildReadModels({ sql: twice.db.sql, store: twice.store, batchSize: 5 });
    expect(await snapshot(twice.db)).toEqual(expected);
  }, 120_000);
});
