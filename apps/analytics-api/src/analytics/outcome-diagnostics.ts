import {
  balancePassed,
  BALANCE_SMD_LIMIT,
  covers,
  gateStatistic,
  NEGATIVE_CONTROL_MEASURE,
  type MatchedDid,
  type PublishingPolicy,
} from '@linkage/domain';
import type { BalanceRowLike } from './analytics-query-support';

/**
 * Which diagnostics passed, in words a reviewer reads, beside every estimate. Each number is a
 * statistic of its kind and passes the gate (the estimate itself passed the ledger, and these
 * describe the same matched people): the placebo and negative-control estimates with their
 * intervals, the largest SMD (2 decimals) and the number of matched sets (a count). The
 * verdicts are taken from the unrounded figures, which are not published.
 */
export function outcomeDiagnostics(
  policy: PublishingPolicy,
  estimate: MatchedDid,
  placebo: MatchedDid,
  negative: MatchedDid,
  balanceAfter: readonly BalanceRowLike[],
  measure: string,
) {
  const maxAbsSmd = balanceAfter.reduce((m, r) => Math.max(m, Math.abs(r.smd)), 0);
  const groups = (d: MatchedDid) => [d.nUsers, d.distinctControls];
  const gatedEstimate = (d: MatchedDid) => {
    const cell = gateStatistic(
      { kind: 'estimate', value: d.did, low: d.ci95[0], high: d.ci95[1], groupSizes: groups(d) },
      policy,
    );
    return cell.published && cell.interval
      ? { did: cell.value, ci95: [cell.interval[0], cell.interval[1]] as [number, number] }
      : { did: null, ci95: [null, null] as [null, null] };
  };
  // The verdict a reader can check: from the published interval when there is one.
  const coversZero = (d: MatchedDid) => {
    const shown = gatedEstimate(d).ci95;
    return shown[0] === null ? covers(d.ci95, 0) : covers(shown, 0);
  };
  const preTrendPassed = coversZero(placebo);
  const negativePassed = coversZero(negative);
  const balanced = balancePassed(balanceAfter as never);
  const published = (cell: ReturnType<typeof gateStatistic>) =>
    cell.published ? cell.value : null;
  return {
    balance: {
      passed: balanced,
      maxAbsSmdAfter: published(
        gateStatistic({ kind: 'smd', value: maxAbsSmd, groupSizes: groups(estimate) }, policy),
      ),
      limit: BALANCE_SMD_LIMIT,
      covariates: balanceAfter.length,
    },
    preTrend: {
      passed: preTrendPassed,
      placeboDid: gatedEstimate(placebo).did,
      ci95: gatedEstimate(placebo).ci95,
      warning: preTrendPassed
        ? null
        : `The placebo difference in differences between two pre-index periods excludes zero for ${measure}: users and controls were not on parallel paths before the index date, so the estimate may be biased.`,
    },
    negativeControl: {
      measure: NEGATIVE_CONTROL_MEASURE,
      passed: negativePassed,
      did: gatedEstimate(negative).did,
      ci95: gatedEstimate(negative).ci95,
      why: 'planned (elective) admissions follow a surgical referral and a waiting list; the Life Rooms cannot plausibly change them within a year, but they share the confounding of the other measures',
      warning: negativePassed
        ? null
        : 'The negative-control outcome shows an "effect" the Life Rooms cannot have: suspect residual confounding.',
    },
    passed: balanced && preTrendPassed && negativePassed,
    estimateSets: published(gateStatistic({ kind: 'count', value: estimate.sets }, policy)),
  };
}
