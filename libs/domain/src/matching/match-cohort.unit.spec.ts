import { dayNumber } from './calendar';
import {
  CohortUser,
  DEFAULT_MATCHING_SETTINGS,
  matchCohort,
  MatchingSubject,
  quintile,
} from './match-cohort';
import { mulberry32 } from './seeded-random';

/** A population where users are older, more deprived and heavier service users than the rest. */
function population(seed: number, nUsers = 400, nPool = 10000) {
  const random = mulberry32(seed);
  const start = dayNumber('2021-01-01');
  const person = (id: string, user: boolean): MatchingSubject => {
    const yearOfBirth = 1940 + Math.floor(random() * (user ? 45 : 60));
    const imdDecile = Math.min(10, 1 + Math.floor(random() * (user ? 6 : 10)));
    const rate = (user ? 5 : 4) * random();
    const serviceDays: number[] = [];
    for (let d = start - 400; d < start + 800; d++) if (random() < rate / 365) serviceDays.push(d);
    return {
      personId: id,
      yearOfBirth,
      sex: random() < (user ? 0.6 : 0.5) ? 'F' : 'M',
      imdDecile,
      serviceDays,
    };
  };
  const users: CohortUser[] = Array.from({ length: nUsers }, (_, i) => {
    const p = person(`u${i}`, true);
    const indexDay = start + Math.floor(random() * 365);
    return { ...p, indexDate: new Date(indexDay * 86_400_000).toISOString().slice(0, 10) };
  });
  const pool = Array.from({ length: nPool }, (_, i) => person(`c${i}`, false));
  return { users, pool };
}

describe('matchCohort', () => {
  const { users, pool } = population(7);
  const result = matchCohort(users, pool, DEFAULT_MATCHING_SETTINGS);

  it('balances every covariate: |SMD| < 0.1 after matching, though not before', () => {
    expect(result.balance.before.some((row) => Math.abs(row.smd) >= 0.1)).toBe(true);
    for (const row of result.balance.after) expect(Math.abs(row.smd)).toBeLessThan(0.1);
  });

  it('matches k controls for almost every user, without replacement', () => {
    const controls = result.sets.flatMap((s) => s.controlIds);
    expect(new Set(controls).size).toBe(controls.length);
    const full = result.sets.filter((s) => s.controlIds.length === 3).length;
    expect(full / users.length).toBeGreaterThan(0.9);
    expect(controls.some((id) => id.startsWith('u'))).toBe(false);
  });

  it('matches exactly on sex, IMD quintile and age band unless the stratum is empty', () => {
    const byId = new Map([...users, ...pool].map((p) => [p.personId, p]));
    let inexact = 0;
    for (const set of result.sets) {
      const u = byId.get(set.userId)!;
      const year = Number(set.indexDate.slice(0, 4));
      for (const id of set.controlIds) {
        const c = byId.get(id)!;
        expect(c.sex).toBe(u.sex);
        const exact =
          quintile(c.imdDecile!) === quintile(u.imdDecile!) &&
          Math.floor((year - c.yearOfBirth!) / 5) === Math.floor((year - u.yearOfBirth!) / 5);
        if (!exact) inexact++;
      }
    }
    expect(inexact).toBeLessThanOrEqual(result.relaxedUsers * 3);
    expect(result.relaxedUsers / result.sets.length).toBeLessThan(0.1);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    expect(matchCohort(users, [...pool].reverse(), DEFAULT_MATCHING_SETTINGS)).toEqual(result);
    const other = matchCohort(users, pool, { ...DEFAULT_MATCHING_SETTINGS, seed: 99 });
    expect(other.sets).not.toEqual(result.sets);
  });

  it('measures prior use relative to the user index date, for the candidate too', () => {
    const base = { sex: 'F', yearOfBirth: 1980, imdDecile: 3 };
    const user: CohortUser = {
      ...base,
      personId: 'user',
      indexDate: '2022-06-01',
      serviceDays: [dayNumber('2022-03-01'), dayNumber('2022-04-01')],
    };
    // Same two contacts, but a year before: no prior use at the user's index date.
    const stale: MatchingSubject = {
      ...base,
      personId: 'stale',
      serviceDays: [dayNumber('2021-03-01'), dayNumber('2021-04-01')],
    };
    const recent: MatchingSubject = {
      ...base,
      personId: 'recent',
      serviceDays: [dayNumber('2022-01-10'), dayNumber('2022-05-30')],
    };
    const dead: MatchingSubject = {
      ...recent,
      personId: 'dead',
      deathDay: dayNumber('2022-05-31'),
    };
    const one = matchCohort([user], [stale, recent, dead], { ...DEFAULT_MATCHING_SETTINGS, k: 1 });
    expect(one.sets).toEqual([{ userId: 'user', indexDate: '2022-06-01', controlIds: ['recent'] }]);
    expect(one.relaxedUsers).toBe(0);
    // With k = 3 still only the recent one: the stale one is only taken when nothing else fits.
    const three = matchCohort([user], [stale, recent, dead], {
      ...DEFAULT_MATCHING_SETTINGS,
      k: 3,
    });
    expect(three.sets[0].controlIds).toEqual(['recent']);
    expect(three.relaxedUsers).toBe(0);
    const onlyStale = matchCohort([user], [stale, dead], DEFAULT_MATCHING_SETTINGS);
    expect(onlyStale.sets[0].controlIds).toEqual(['stale']);
    expect(onlyStale.relaxedUsers).toBe(1);
  });
});
