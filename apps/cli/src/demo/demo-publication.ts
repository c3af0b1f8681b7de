import { applyPublishingGate, publishedValue, type SuppressedCell } from '@linkage/domain';
import type { MatchingSummary } from '../../../projector/src';

/** The demo summary's statistics about people, as the publishing gate lets them out. */
export interface GatedMatchingSummary {
  cohort: number | null;
  matchedUsers: number | null;
  maxAbsSmdAfterMatching: number | null;
  suppressed: readonly SuppressedCell[];
  policyVersion: string;
}

/**
 * The cohort size, matched users and largest |SMD| after matching through the gate (counts
 * rounded, the SMD to 2 decimals over groups of at least the minimum size), like any API answer.
 */
export function gateMatchingSummary(matching: MatchingSummary): GatedMatchingSummary {
  const smds = matching.balance.after.map((row) => Math.abs(row.smd));
  const result = applyPublishingGate({
    cells: {
      cohort: { kind: 'count', value: matching.users },
      matchedUsers: { kind: 'count', value: matching.matchedUsers },
      ...(smds.length
        ? {
            maxAbsSmd: {
              kind: 'smd' as const,
              value: Math.max(...smds),
              groupSizes: [matching.matchedUsers],
            },
          }
        : {}),
    },
  });
  return {
    cohort: publishedValue(result, 'cohort'),
    matchedUsers: publishedValue(result, 'matchedUsers'),
    maxAbsSmdAfterMatching: smds.length ? publishedValue(result, 'maxAbsSmd') : null,
    suppressed: result.suppressed,
    policyVersion: result.policyVersion,
  };
}
