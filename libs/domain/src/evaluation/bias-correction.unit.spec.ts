import { mulberry32 } from '../matching/seeded-random';
import { fitLinear } from './bias-correction';
import { covers } from './evaluate-measure';
import type { EvaluationSubject } from './evaluation-subject';
import { matchedDifferenceInDifferences } from './matched-did';
import type { TrajectoryMatchedSet } from './match-on-trajectory';

describe('fitLinear', () => {
  it('recovers an exact weighted linear relation, whatever the columns scale', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i, (i * 7) % 11, 1000 + (i % 3)]);
    const y = rows.map(([a, b, c]) => 2 + 3 * a - b + 0.5 * (c - 1000));
    const weights = rows.map((_, i) => 1 + (i % 4));
    const mu = fitLinear(rows, y, weights);
    expect(mu([10, 4, 1002])).toBeCloseTo(2 + 30 - 4 + 1, 3);
    expect(mu([0, 0, 1000])).toBeCloseTo(2, 3);
  });

  it('predicts the weighted mean when a column is constant (no singular system)', () => {
    const mu = fitLinear(
      [
        [1, 5],
        [1, 5],
        [1, 5],
      ],
      [1, 2, 6],
      [1, 1, 2],
    );
    expect(mu([1, 5])).toBeCloseTo(15 / 4, 6);
  });
});

describe('bias-corrected matched difference in differences', () => {
  const index = 19_000;
  const span = { startDay: 18_000, endDay: 21_000 };
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
   * One seeded draw with no effect, where a covariate (need, x) drives the change: everyone's
   * rate is 0.5x a year before the index date and 0.8x after (need that grows with its level).
   * Each user gets 3 controls whose x is `offset` below theirs: matching left them a little off,
   * as with many continuous covariates. A plain matched DiD reads 0.3 x offset as an effect.
   */
  function draw(seed: number, offset: number) {
    const random = mulberry32(seed);
    const subjects = new Map<string, EvaluationSubject>();
    const need = new Map<string, number>();
    const person = (id: string, x: number) => {
      const days: number[] = [];
      const before = poisson(random, 0.5 * x);
      const after = poisson(random, 0.8 * x);
      for (let k = 0; k < before; k++) days.push(index - 360 + Math.floor(random() * 350));
      for (let k = 0; k < after; k++) days.push(index + 5 + Math.floor(random() * 350));
      days.sort((a, b) => a - b);
      need.set(id, x);
      subjects.set(id, {
        personId: id,
        yearOfBirth: 1980,
        sex: 'F',
        registrations: [],
        deathDay: null,
        indexDay: null,
        days: { x: days },
      });
    };
    const sets: TrajectoryMatchedSet[] = [];
    for (let i = 0; i < 600; i++) {
      const x = 1 + 3 * random();
      person(`u${i}`, x);
      const controlIds = [0, 1, 2].map((j) => {
        const id = `c${i}-${j}`;
        person(id, Math.max(0.1, x - offset + 0.2 * (random() - 0.5)));
        return id;
      });
      sets.push({ userId: `u${i}`, indexDay: index, controlIds });
    }
    const windows = { before: [-12, 0], after: [0, 12] } as const;
    const plain = matchedDifferenceInDifferences(sets, subjects, 'x', windows, span);
    const corrected = matchedDifferenceInDifferences(sets, subjects, 'x', windows, span, {
      covariates: (s) => [need.get(s.personId)!],
    });
    return { plain, corrected };
  }

  it('removes the bias that covariates left unequal after matching explain', () => {
    const runs = Array.from({ length: 40 }, (_, i) => draw(500 + i, 0.5));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Truth is 0; the plain estimate carries 0.3 x 0.5 = 0.15 a year.
    expect(mean(runs.map((r) => r.plain.did))).toBeGreaterThan(0.1);
    expect(Math.abs(mean(runs.map((r) => r.corrected.did)))).toBeLessThan(0.03);
    expect(mean(runs.map((r) => r.corrected.biasCorrection))).toBeGreaterThan(0.1);
    // Its intervals cover the null; the plain ones mostly do not.
    expect(runs.filter((r) => covers(r.corrected.ci95, 0)).length).toBeGreaterThanOrEqual(34);
    expect(runs.filter((r) => covers(r.plain.ci95, 0)).length).toBeLessThan(20);
  });

  it('changes nothing when the controls sit at their users covariates', () => {
    const { plain, corrected } = draw(77, 0);
    // Offset 0 still leaves +-0.1 of jitter, so the correction is small but not exactly zero.
    expect(Math.abs(corrected.biasCorrection)).toBeLessThan(0.02);
    expect(Math.abs(corrected.did - plain.did)).toBeLessThan(0.02);
    expect(corrected.se).toBeGreaterThan(0.5 * plain.se);
    expect(corrected.se).toBeLessThan(1.5 * plain.se);
  });

  it('is the plain estimator when no covariates are given', () => {
    const { plain } = draw(78, 0.5);
    expect(plain.biasCorrection).toBe(0);
  });
});
