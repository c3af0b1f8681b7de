/**
 * Events and person-years of one person in the two windows of a difference in differences:
 * [events before, years before, events after, years after].
 */
export type WindowCounts = readonly [number, number, number, number];

/** One matched set as the variance sees it: the user's counts and each control's (with its id). */
export interface SetCounts {
  user: WindowCounts;
  /** `shift`: a bias correction added to the control's linearised outcome (`biasCorrectedShifts`). */
  controls: ReadonlyArray<{ id: string; counts: WindowCounts; shift?: number }>;
}

/** Group totals: users' and (1/m-weighted) controls' events and years, before and after. */
export interface DidTotals {
  users: WindowCounts;
  controls: WindowCounts;
}

export interface MatchingVariance {
  /** Standard error of the difference in differences. */
  se: number;
  /** Part of the variance from the matched sets themselves (each set's own contribution). */
  setsVariance: number;
  /** Part from reusing controls across sets (zero when every control serves one set). */
  reuseVariance: number;
}

/**
 * Variance of the matched difference in differences for matching **with replacement**, after
 * Abadie and Imbens (2006, Econometrica 74:235), for the effect on the treated:
 *
 *   V = sum over sets s of psi_s^2  +  sum over controls j of (K_j^2 - sum_s w_sj^2) sigma_j^2
 *
 * - psi_s is set s's contribution to the estimate: the user's linearised outcome minus the
 *   1/m-weighted mean of its controls'. The estimate is a ratio of totals (events over
 *   person-years, censored at death and data end), so each person's outcome is linearised:
 *   (events - rate x years) / total years, after minus before. Summing psi_s^2 treats the sets
 *   as the independent units, so it keeps the user-control covariance that matching builds
 *   (resampling users and controls separately threw it away) and it includes the spread of the
 *   effect over users (the effect on the treated in the population, not just in this sample).
 * - K_j is control j's total weight over every set it serves (w_sj = 1/m_s in each). The first
 *   term counts a reused control's noise once per set (sum of w_sj^2); reuse makes it count
 *   K_j^2 times, and the second term adds the difference: K_M(K_M - 1)/M^2 in Abadie-Imbens
 *   with M controls per set. Resampling whole matched sets misses exactly this term.
 * - sigma_j^2, the variance of a control's outcome at its covariates, is estimated as Abadie and
 *   Imbens do by comparing controls matched to each other: a set's controls were all chosen as
 *   the nearest to the same user, so their sample variance estimates it at that point. A set
 *   with one control (the heaviest users, beyond the caliper) compares it with its user instead:
 *   half the squared difference, which errs high when the user differs. A control serving
 *   several sets takes the mean of their estimates.
 *
 * Why this and not a bootstrap: with replacement a heavy-need control can serve a dozen sets.
 * The validity study found a bootstrap of whole sets under-covered (63-90%: it counts a reused
 * control as independent draws) and one of users and distinct controls (v3) covered 85% on the
 * negative control: it drops the matched pairing and only approximates the reuse. The analytic
 * variance has the structure the design has: with it (v5, 60 seeds) every measure covered in
 * 93-100% of runs, SE / spread 0.97-1.37; the negative control's v4 shortfall (0.88 over 30
 * draws) was the spread of few draws, not an under-estimate (docs/VALIDITY.md).
 */
export function matchingVariance(sets: readonly SetCounts[], totals: DidTotals): MatchingVariance {
  const [ueb, uyb, uea, uya] = totals.users;
  const [ceb, cyb, cea, cya] = totals.controls;
  const userRates = [ueb / uyb, uea / uya];
  const controlRates = [ceb / cyb, cea / cya];
  const userOutcome = (c: WindowCounts) =>
    (c[2] - userRates[1] * c[3]) / uya - (c[0] - userRates[0] * c[1]) / uyb;
  const controlOutcome = (c: WindowCounts) =>
    (c[2] - controlRates[1] * c[3]) / cya - (c[0] - controlRates[0] * c[1]) / cyb;

  let setsVariance = 0;
  const reuse = new Map<
    string,
    { weight: number; squaredWeights: number; variances: number; sets: number }
  >();
  for (const set of sets) {
    const m = set.controls.length;
    if (m === 0) continue;
    const w = 1 / m;
    const user = userOutcome(set.user);
    const outcomes = set.controls.map((c) => controlOutcome(c.counts) + (c.shift ?? 0));
    const mean = outcomes.reduce((a, b) => a + b, 0) / m;
    const psi = user - mean;
    setsVariance += psi * psi;
    const sigma2 =
      m >= 2 ? outcomes.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1) : psi * psi * 0.5;
    set.controls.forEach((c) => {
      const r = reuse.get(c.id);
      if (r) {
        r.weight += w;
        r.squaredWeights += w * w;
        r.variances += sigma2;
        r.sets++;
      } else reuse.set(c.id, { weight: w, squaredWeights: w * w, variances: sigma2, sets: 1 });
    });
  }
  let reuseVariance = 0;
  for (const r of reuse.values()) {
    reuseVariance += (r.weight * r.weight - r.squaredWeights) * (r.variances / r.sets);
  }
  return { se: Math.sqrt(setsVariance + reuseVariance), setsVariance, reuseVariance };
}
