import { mulberry32 } from '../matching/seeded-random';
import { subjectFingerprint } from './canonical-order';
import { addMonthsToDay, DataSpan, EvaluationSubject, imdDecileAt } from './evaluation-subject';
import { DEFAULT_EVALUATION_DESIGN } from './evaluation-design';
import { balancePassed, covers, evaluateMeasure } from './evaluate-measure';
import { fitLogistic } from './logistic-regression';
import { matchedDifferenceInDifferences } from './matched-did';
import { matchOnTrajectory, TrajectoryMatchedSet } from './match-on-trajectory';

const START = 18_000; // day number of the data start (2019-04-14)
const span: DataSpan = { startDay: START, endDay: START + 4 * 365 };

/** Poisson draw (Knuth). */
function poisson(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/**
 * A population with a hidden, stable need (lognormal) that raises every rate; users are picked
 * with probability rising steeply in need, so they differ from non-users exactly as the
 * generator's do. `effect` multiplies users' `crisis` rate from the index date.
 */
function population(seed: number, effect = 1, nPersons = 6000) {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const subjects: EvaluationSubject[] = [];
  const base = { gp: 5, crisis: 0.15, elective_admission: 0.1 };
  for (let i = 0; i < nPersons; i++) {
    const need = Math.exp(0.7 * normal() - 0.245);
    const user = random() < Math.min(0.9, 0.08 * need ** 1.5);
    const indexDay = user ? START + 730 + Math.floor(random() * 365) : null;
    const days: Record<string, number[]> = {};
    for (const [measure, rate] of Object.entries(base)) {
      const list: number[] = [];
      for (let m = 0; m < 48; m++) {
        const from = START + Math.floor((m * 365) / 12);
        const to = START + Math.floor(((m + 1) * 365) / 12);
        const treated = indexDay !== null && from >= indexDay && measure === 'crisis';
        const n = poisson(random, (rate * need * (treated ? effect : 1) * (to - from)) / 365);
        for (let k = 0; k < n; k++) list.push(from + Math.floor(random() * (to - from)));
      }
      days[measure] = list.sort((a, b) => a - b);
    }
    subjects.push({
      personId: `p${String(i).padStart(5, '0')}`,
      yearOfBirth: 1950 + Math.floor(random() * 50),
      sex: random() < 0.5 ? 'F' : 'M',
      registrations: [{ fromDay: 0, imdDecile: 1 + Math.floor(random() * 10) }],
      deathDay: null,
      indexDay,
      days,
    });
  }
  return subjects;
}

const design = {
  ...DEFAULT_EVALUATION_DESIGN,
  matching: {
    ...DEFAULT_EVALUATION_DESIGN.matching,
    families: ['gp', 'crisis', 'elective_admission'],
  },
};

function run(subjects: EvaluationSubject[], d = design) {
  const users = subjects.filter((s) => s.indexDay !== null);
  const matching = matchOnTrajectory(
    users,
    subjects.filter((s) => s.indexDay === null),
    span,
    d.matching,
  );
  return { users, matching, byId: new Map(subjects.map((s) => [s.personId, s] as const)) };
}

describe('matched evaluation', () => {
  const subjects = population(11);
  const { users, matching, byId } = run(subjects);

  it('matches every user and balances every covariate and baseline outcome rate', () => {
    expect(matching.sets.length).toBe(users.length);
    expect(matching.balance.before.some((r) => Math.abs(r.smd) >= 0.1)).toBe(true);
    expect(matching.balance.after.map((r) => r.covariate)).toEqual(
      expect.arrayContaining([
        'age',
        'female',
        'imd_decile',
        'gp_rate_m-24_m-18',
        'crisis_rate_m-18_m-12',
      ]),
    );
    for (const row of matching.balance.after) {
      expect([row.covariate, Math.abs(row.smd) < 0.1]).toEqual([row.covariate, true]);
    }
    expect(balancePassed(matching.balance.after)).toBe(true);
  });

  it('finds no effect where none was planted, though users are picked for high need', () => {
    for (const measure of ['gp', 'elective_admission']) {
      const e = evaluateMeasure(matching.sets, byId, measure, design, span);
      expect([measure, covers(e.estimate.ci95, 0)]).toEqual([measure, true]);
      expect([measure, e.preTrendPassed]).toEqual([measure, true]);
    }
  });

  it('recovers a planted effect and its interval covers the truth', () => {
    const treated = population(11, 0.4);
    const t = run(treated);
    const e = evaluateMeasure(t.matching.sets, t.byId, 'crisis', design, span);
    // Truth: users' crisis rate x (0.4 - 1) in the follow-up.
    let events = 0;
    let years = 0;
    for (const u of t.users) {
      const to = addMonthsToDay(u.indexDay!, 12);
      events += u.days.crisis.filter((d) => d >= u.indexDay! && d < to).length;
      years += (to - u.indexDay!) / 365.25;
    }
    const truth = (events / years / 0.4) * (0.4 - 1);
    expect(Math.abs(e.estimate.did - truth)).toBeLessThan(0.3 * Math.abs(truth));
    expect(covers(e.estimate.ci95, truth)).toBe(true);
    expect(covers(e.estimate.ci95, 0)).toBe(false);
  });

  it('is deterministic for a seed', () => {
    expect(run(subjects).matching).toEqual(matching);
  });
});

describe('matching under another pseudonymisation key', () => {
  // The same people under other pseudonyms (as after a key rotation, or at another site).
  const subjects = population(23, 1, 3000);
  const rekeyed = (key: number) => {
    const pseudonym = (id: string) =>
      `q${(mulberry32(key + Number(id.slice(1)))() * 1e9).toFixed(0).padStart(9, '0')}-${id.slice(1)}`;
    const renamed = subjects.map((s) => ({ ...s, personId: pseudonym(s.personId) }));
    // Stored in pseudonym order, as a read model would give them back.
    renamed.sort((a, b) => (a.personId < b.personId ? -1 : 1));
    const back = new Map(subjects.map((s) => [pseudonym(s.personId), s.personId] as const));
    return { renamed, back };
  };
  const setsInOriginalIds = (sets: readonly TrajectoryMatchedSet[], back: Map<string, string>) =>
    sets
      .map(
        (s) =>
          `${back.get(s.userId)}:${s.controlIds
            .map((c) => back.get(c))
            .sort()
            .join(',')}`,
      )
      .sort();

  it('gives the same matched sets and the same estimates', () => {
    const original = run(subjects);
    const identity = new Map(subjects.map((s) => [s.personId, s.personId] as const));
    const expected = setsInOriginalIds(original.matching.sets, identity);
    const gp = evaluateMeasure(original.matching.sets, original.byId, 'gp', design, span);
    for (const key of [1, 2, 3]) {
      const { renamed, back } = rekeyed(key);
      const other = run(renamed);
      expect(setsInOriginalIds(other.matching.sets, back)).toEqual(expected);
      const e = evaluateMeasure(other.matching.sets, other.byId, 'gp', design, span);
      expect(e.estimate.did).toBeCloseTo(gp.estimate.did, 9);
      expect(e.estimate.se).toBeCloseTo(gp.estimate.se, 9);
    }
  });

  it('fingerprints people by their data, never by their id', () => {
    const [a] = subjects;
    expect(subjectFingerprint({ ...a, personId: 'someone-else' })).toBe(subjectFingerprint(a));
    const gp = [...(a.days.gp ?? []), span.startDay + 400].sort((x, y) => x - y);
    expect(subjectFingerprint({ ...a, days: { ...a.days, gp } })).not.toBe(subjectFingerprint(a));
    expect(subjectFingerprint({ ...a, yearOfBirth: (a.yearOfBirth ?? 0) + 1 })).not.toBe(
      subjectFingerprint(a),
    );
    expect(new Set(subjects.map(subjectFingerprint)).size).toBe(subjects.length);
  });
});

describe('covariates as of the index date', () => {
  it('reads the IMD decile of the registration in force then, not the latest', () => {
    const mover: EvaluationSubject = {
      personId: 'm',
      yearOfBirth: 1980,
      sex: 'F',
      registrations: [
        { fromDay: 100, imdDecile: 2 },
        { fromDay: 500, imdDecile: 9 },
      ],
      deathDay: null,
      indexDay: null,
      days: {},
    };
    expect(imdDecileAt(mover, 499)).toBe(2);
    expect(imdDecileAt(mover, 500)).toBe(9);
    expect(imdDecileAt(mover, 50)).toBe(2);
  });
});

describe('matchedDifferenceInDifferences', () => {
  const subject = (
    id: string,
    days: number[],
    deathDay: number | null = null,
  ): EvaluationSubject => ({
    personId: id,
    yearOfBirth: 1980,
    sex: 'F',
    registrations: [],
    deathDay,
    indexDay: null,
    days: { x: days },
  });
  const index = START + 800;

  it('weights each of m controls 1/m and censors at death', () => {
    const subjects = new Map([
      ['u', subject('u', [index - 100, index + 10, index + 20])],
      ['c1', subject('c1', [index - 100, index + 10])],
      ['c2', subject('c2', [index - 100, index - 50, index + 10], index + 73)],
    ]);
    const sets: TrajectoryMatchedSet[] = [
      { userId: 'u', indexDay: index, controlIds: ['c1', 'c2'] },
    ];
    const r = matchedDifferenceInDifferences(
      sets,
      subjects,
      'x',
      { before: [-12, 0], after: [0, 12] },
      span,
    );
    expect(r.nUsers).toBe(1);
    expect(r.nControls).toBe(2);
    const year = (addMonthsToDay(index, 12) - index) / 365.25;
    expect(r.users.after).toBeCloseTo(2 / year);
    // Controls: events 0.5 x (1 + 1) over person-years 0.5 x (1 year + 73 days).
    expect(r.controls.after).toBeCloseTo(1 / (0.5 * (year + 73 / 365.25)));
    // One set: no variance can be estimated, so no interval.
    expect(Number.isNaN(r.ci95[0])).toBe(true);
  });

  it('covers a null contrast when whole matched sets share a shock', () => {
    // Each set (user + 3 controls) shares a random level; the user-control contrast is null.
    const random = mulberry32(3);
    const subjects = new Map<string, EvaluationSubject>();
    const sets: TrajectoryMatchedSet[] = [];
    for (let i = 0; i < 300; i++) {
      const shock = random() < 0.5 ? 0 : 6;
      const ids = [`u${i}`, `c${i}a`, `c${i}b`, `c${i}c`];
      for (const id of ids) {
        const days: number[] = [];
        const after = shock + (random() < 0.5 ? 1 : 0);
        for (let k = 0; k < after; k++) days.push(index + 10 + k);
        days.unshift(index - 100);
        subjects.set(id, subject(id, days));
      }
      sets.push({ userId: ids[0], indexDay: index, controlIds: ids.slice(1) });
    }
    const r = matchedDifferenceInDifferences(
      sets,
      subjects,
      'x',
      { before: [-12, 0], after: [0, 12] },
      span,
    );
    expect(covers(r.ci95, 0)).toBe(true);
    expect(r.ci95[1] - r.ci95[0]).toBeGreaterThan(0);
  });
});

describe('fitLogistic', () => {
  it('recovers the coefficients of a known model', () => {
    const random = mulberry32(5);
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = random() * 4 - 2;
      const p = 1 / (1 + Math.exp(-(0.5 + 1.5 * x)));
      rows.push([x]);
      labels.push(random() < p ? 1 : 0);
    }
    const logit = fitLogistic(rows, labels);
    expect(logit([0])).toBeCloseTo(0.5, 0);
    expect(logit([1]) - logit([0])).toBeGreaterThan(1.3);
    expect(logit([1]) - logit([0])).toBeLessThan(1.7);
  });
});
