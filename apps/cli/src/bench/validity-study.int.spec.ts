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

  it('runs the bias-corrected estimator on the same matched sets (`--bias-corrected`)', () => {
    const plain = runs.filter((r) => r.seed === 'smoke-1');
    const corrected = runValiditySeed(scenario, 'smoke-1', 400, undefined, undefined, {
      biasCorrected: true,
    });
    expect(corrected.map((r) => r.measure)).toEqual(plain.map((r) => r.measure));
    corrected.forEach((r, i) => {
      expect(r.maxAbsSmd).toBe(plain[i].maxAbsSmd);
      expect(r.truth).toBe(plain[i].truth);
      expect(r.se).toBeGreaterThan(0);
      // A correction for what matching left unequal: it moves an estimate, by less than its
      // sampling error (at cohort 400 one measure in a seed can move by about one SE).
      expect(Math.abs(r.estimate - plain[i].estimate)).toBeLessThan(2 * plain[i].se);
    });
    const shifts = corrected.map((r, i) => Math.abs(r.estimate - plain[i].estimate) / plain[i].se);
    expect(shifts.reduce((a, b) => a + b, 0) / shifts.length).toBeLessThan(1);
    expect(corrected.some((r, i) => r.estimate !== plain[i].estimate)).toBe(true);
  }, 60_000);
});

describe('summariseValidity', () => {
  const run = (seed: string, scenario: string, truth: number, estimate: number): ValidityRun => ({
    scenario,
    seed,
    measure: 'x',
    truth,
    estimate,
    se: 0.1,
    ci95: [estimate - 0.196, estimate + 0.196],
    covered: Math.abs(estimate - truth) <= 0.196,
    significant: Math.abs(estimate) > 0.196,
    preTrendPassed: true,
    balancePassed: true,
    maxAbsSmd: 0.05,
  });

  it('gives the mean relative bias a standard error over seeds, not over correlated runs', () => {
    // Two scenarios of a seed share its people: their errors are averaged first. Per-seed means
    // of the relative error: +0.1, -0.1, +0.3 -> mean +0.1, SE sd(0.2)/sqrt(3).
    const [s] = summariseValidity([
      run('1', 'a', -1, -0.9),
      run('1', 'b', -0.5, -0.45),
      run('2', 'a', -1, -1.1),
      run('3', 'a', -1, -0.7),
      run('3', 'none', 0, 0.05),
    ]);
    expect(s.plantedRuns).toBe(4);
    expect(s.meanRelativeBias).toBeCloseTo((0.1 + 0.1 - 0.1 + 0.3) / 4, 10);
    expect(s.relativeBiasSe).toBeCloseTo(0.2 / Math.sqrt(3), 10);
    expect(s.nullRuns).toBe(1);
  });

  it('has no standard error from one seed', () => {
    const [s] = summariseValidity([run('1', 'a', -1, -0.9), run('1', 'b', -1, -0.8)]);
    expect(s.relativeBiasSe).toBeNull();
  });
});
