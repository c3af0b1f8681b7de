import { mulberry32 } from '../matching/seeded-random';
import { covers } from './evaluate-measure';
import type { EvaluationSubject } from './evaluation-subject';
import { matchedDifferenceInDifferences } from './matched-did';
import { matchingVariance, SetCounts, WindowCounts } from './matching-variance';
import type { TrajectoryMatchedSet } from './match-on-trajectory';

const totalsOf = (sets: readonly SetCounts[]) => {
  const users = [0, 0, 0, 0];
  const controls = [0, 0, 0, 0];
  for (const s of sets) {
    for (let f = 0; f < 4; f++) users[f] += s.user[f];
    for (const c of s.controls) {
      for (let f = 0; f < 4; f++) controls[f] += c.counts[f] / s.controls.length;
    }
  }
  return { users: users as unknown as WindowCounts, controls: controls as unknown as WindowCounts };
};

describe('matchingVariance', () => {
  it('is the sum of squared set contributions when no control is reused', () => {
    // Two sets of one user and one control, one year in each window.
    const sets: SetCounts[] = [
      { user: [1, 1, 3, 1], controls: [{ id: 'a', counts: [1, 1, 1, 1] }] },
      { user: [1, 1, 1, 1], controls: [{ id: 'b', counts: [1, 1, 1, 1] }] },
    ];
    const v = matchingVariance(sets, totalsOf(sets));
    // Users: rates 1 before, 2 after over 2 years each; linearised outcomes (3-2)/2 - 0 = 0.5
    // and (1-2)/2 = -0.5; controls' are 0. So psi = +-0.5 and the variance 0.5.
    expect(v.setsVariance).toBeCloseTo(0.5);
    expect(v.reuseVariance).toBe(0);
    expect(v.se).toBeCloseTo(Math.sqrt(0.5));
  });

  it('adds K(K-1)-type variance for a control that serves several sets', () => {
    // The same outcomes, once with six distinct controls and once with one control serving
    // three sets (matching with replacement): the reused control's noise counts three times.
    const distinct: SetCounts[] = [];
    const reused: SetCounts[] = [];
    for (let i = 0; i < 6; i++) {
      const user: WindowCounts = [2, 1, 2 + (i % 2), 1];
      const counts: WindowCounts = [1 + (i % 3), 1, 2, 1];
      const twin: WindowCounts = [2 + (i % 3), 1, 1, 1];
      distinct.push({
        user,
        controls: [
          { id: `c${i}`, counts },
          { id: `d${i}`, counts: twin },
        ],
      });
      reused.push({
        user,
        controls: [
          { id: i < 3 ? 'shared' : `c${i}`, counts },
          { id: `d${i}`, counts: twin },
        ],
      });
    }
    const a = matchingVariance(distinct, totalsOf(distinct));
    const b = matchingVariance(reused, totalsOf(reused));
    expect(a.reuseVariance).toBe(0);
    expect(b.setsVariance).toBeCloseTo(a.setsVariance);
    // K = 3 x 1/2 = 1.5, sum of w^2 = 3/4: (2.25 - 0.75) x the mean within-set variance.
    expect(b.reuseVariance).toBeGreaterThan(0);
    expect(b.se).toBeGreaterThan(a.se);
  });
});

describe('matched difference in differences interval (repeated sampling)', () => {
  const index = 19_000;
  const span = { startDay: 18_000, endDay: 21_000 };
  const subject = (id: string, days: number[]): EvaluationSubject => ({
    personId: id,
    yearOfBirth: 1980,
    sex: 'F',
    registrations: [],
    deathDay: null,
    indexDay: null,
    days: { x: days },
  });
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
   * One draw of a design like the evaluation's: users of varied need, each matched with
   * replacement to 3 of a scarce pool of controls at their need (heavy users share the few
   * heavy controls, as in the evaluation), no effect. Events are Poisson at 0.3 x need a year in each window.
   */
  function draw(seed: number) {
    const random = mulberry32(seed);
    const subjects = new Map<string, EvaluationSubject>();
    const eventsAt = (rate: number) => {
      const days: number[] = [];
      const before = poisson(random, rate);
      const after = poisson(random, rate);
      for (let k = 0; k < before; k++) days.push(index - 300 + k);
      for (let k = 0; k < after; k++) days.push(index + 10 + k);
      return days;
    };
    const levels = [0.5, 1, 2, 6];
    const pool = levels.map((need, l) =>
      Array.from({ length: l === 3 ? 20 : 200 }, (_, i) => {
        const id = `c${l}-${i}`;
        subjects.set(id, subject(id, eventsAt(0.3 * need)));
        return id;
      }),
    );
    const sets: TrajectoryMatchedSet[] = [];
    for (let i = 0; i < 400; i++) {
      const l = random() < 0.15 ? 3 : Math.floor(random() * 3);
      const id = `u${i}`;
      subjects.set(id, subject(id, eventsAt(0.3 * levels[l])));
      const controls = new Set<string>();
      while (controls.size < 3) controls.add(pool[l][Math.floor(random() * pool[l].length)]);
      sets.push({ userId: id, indexDay: index, controlIds: [...controls] });
    }
    return matchedDifferenceInDifferences(
      sets,
      subjects,
      'x',
      { before: [-12, 0], after: [0, 12] },
      span,
    );
  }

  it('has a standard error close to the estimate spread and covers a null about 95% of the time', () => {
    const runs = Array.from({ length: 300 }, (_, i) => draw(1000 + i));
    const mean = runs.reduce((a, r) => a + r.did, 0) / runs.length;
    const sd = Math.sqrt(runs.reduce((a, r) => a + (r.did - mean) ** 2, 0) / (runs.length - 1));
    const meanSe = runs.reduce((a, r) => a + r.se, 0) / runs.length;
    const coverage = runs.filter((r) => covers(r.ci95, 0)).length / runs.length;
    // About 60 heavy users share 20 heavy controls (each serves ~9 sets). Treating each reuse
    // as a different control (no reuse term) gave SE / spread 0.65 and 80% coverage here.
    expect(runs.every((r) => r.distinctControls < r.nControls)).toBe(true);
    expect(meanSe / sd).toBeGreaterThan(0.85);
    expect(meanSe / sd).toBeLessThan(1.25);
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.99);
  });
});
