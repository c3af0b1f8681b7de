import {
  runValiditySeed,
  summariseValidity,
  VALIDITY_SCENARIOS,
  type ValidityRun,
} from './validity-study';

/**
 * The validity study's smoke version (the full one is `linkage validity`, figures in
 * docs/VALIDITY.md): 3 seeds of the default scenario at a small cohort, in memory, with the
 * pre-index dip and need drift on. It checks that the estimator is scored on every measure,
 * including those with nothing planted, and that its intervals cover the truth about as often as
 * a 95% interval should at this size.
 */
describe('validity study (3-seed smoke)', () => {
  const scenario = VALIDITY_SCENARIOS.find((s) => s.name === 'default')!;
  let runs: ValidityRun[];

  beforeAll(() => {
    runs = ['smoke-1', 'smoke-2', 'smoke-3'].flatMap((seed) =>
      runValiditySeed(scenario, seed, 400),
    );
  }, 110_000);

  it('scores every measure against the truth, nulls included', () => {
    const measures = new Set(runs.map((r) => r.measure));
    expect([...measures].sort()).toEqual(
      [
        'ae',
        'ambulance',
        'crisis',
        'elective_admission',
        'emergency_admission',
        'gp',
        'mental_health',
        'nhs111',
      ].sort(),
    );
    for (const r of runs) {
      expect(Number.isFinite(r.estimate)).toBe(true);
      // The interval is the estimate +- 1.96 standard errors (Abadie-Imbens, matching with
      // replacement), so a missing or zero SE shows here.
      expect(r.se).toBeGreaterThan(0);
      expect(r.ci95[0]).toBeCloseTo(r.estimate - 1.959964 * r.se, 10);
      expect(r.ci95[1]).toBeCloseTo(r.estimate + 1.959964 * r.se, 10);
    }
    // Planted: crisis and A&E (reductions); nothing planted on GP, NHS 111 or the negative control.
    for (const r of runs.filter((x) => ['crisis', 'ae'].includes(x.measure))) {
      expect(r.truth).toBeLessThan(0);
    }
    for (const r of runs.filter((x) =>
      ['gp', 'nhs111', 'elective_admission'].includes(x.measure),
    )) {
      expect(Math.abs(r.truth)).toBe(0);
    }
  });

  it('covers the truth in most intervals and rarely calls a null measure significant', () => {
    const summary = summariseValidity(runs);
    const covered = runs.filter((r) => r.covered).length;
    expect(covered / runs.length).toBeGreaterThanOrEqual(0.8);
    const nulls = runs.filter((r) => r.truth === 0);
    expect(nulls.filter((r) => r.significant).length / nulls.length).toBeLessThanOrEqual(0.2);
    expect(summary.find((s) => s.measure === 'gp')?.nullRuns).toBe(3);
  });

  it('gives the same runs for the same seed (a figure in docs/VALIDITY.md can be reproduced)', () => {
    expect(runValiditySeed(scenario, 'smoke-2', 400)).toEqual(
      runs.filter((r) => r.seed === 'smoke-2'),
    );
  }, 60_000);

  it('balances the matched comparison (|SMD| well under the naive design)', () => {
    for (const r of runs) expect(r.maxAbsSmd).toBeLessThan(0.2);
  });
});
