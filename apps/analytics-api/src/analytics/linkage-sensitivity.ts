import type { Sql } from '@linkage/database';
import type { ReleasedCellLedger } from '@linkage/governance';
import {
  applyPublishingGate,
  attributeAtThreshold,
  dayNumber,
  DEFAULT_EVALUATION_DESIGN,
  EMPTY_RELEASE_LEDGER,
  type ReleaseLedgerState,
  indexDatesWith,
  matchedDifferenceInDifferences,
  matchOnTrajectory,
  MATCHED_DID_INTERVAL,
  type EvaluationSubject,
  type LifeRoomsDoc,
  type LifeRoomsFact,
  type OutcomeMeasure,
  type PublishingPolicy,
  type ScoredPair,
  type SuppressedCell,
} from '@linkage/domain';
import { ensureReadModel, loadEvaluationSubjects } from '../../../projector/src';
import { outcomesPublication } from './analytics.publications';
import { configuredPublishingPolicy, type Audience } from './analytics.queries';

/** The released-cell ledger, as the analytics queries use it. */
export type SensitivityLedger = Pick<ReleasedCellLedger, 'load' | 'record' | 'checkAndRecord'>;

export interface LinkageSensitivityResult {
  measure: OutcomeMeasure;
  /** The headline estimate at each threshold, as the publishing gate released it. */
  estimates: { threshold: number; estimate: Record<string, unknown> }[];
  suppressed: (SuppressedCell & { threshold: number })[];
  cellsSuppressed: number;
  note: string;
}

const BEFORE = 12;
const AFTER = 12;
const WASHOUT = 3;

/**
 * Re-runs the headline estimate (matched DiD, 12 months either side, 3-month washout) with the
 * records without an NHS number attributed as they would be at each match threshold: the cohort,
 * the index dates, the matching and the estimate all follow. Every estimate passes the
 * publishing gate and, with an audience, the released-cell ledger, one threshold after the
 * other: two cohorts a few walk-ins apart are a differencing risk, and the ledger withholds the
 * second when they differ by 1 to 7 people.
 */
export async function linkageSensitivity(
  sql: Sql,
  options: {
    measure: OutcomeMeasure;
    thresholds: readonly number[];
    policy?: PublishingPolicy;
    ledger?: SensitivityLedger;
    audience?: Audience;
  },
): Promise<LinkageSensitivityResult> {
  const { measure, thresholds } = options;
  const policy = options.policy ?? configuredPublishingPolicy();
  const design = DEFAULT_EVALUATION_DESIGN;
  // Read models of an older version lack the merge table: create what is missing first.
  await ensureReadModel(sql);
  const { subjects, span } = await loadEvaluationSubjects(sql, 'read_model');
  const [{ present }] = await sql<{ present: boolean }[]>`
    select to_regclass('linkage.record_links') is not null as present`;
  const walkInIds = new Set<string>();
  const pairs: ScoredPair[] = [];
  const clerical = new Map<string, string | null>();
  if (present) {
    for (const r of await sql<
      { event_id: string; status: string; person_id: string | null; clerical: boolean }[]
    >`
        select event_id::text as event_id, status, person_id, clerical from linkage.record_links`) {
      walkInIds.add(r.event_id);
      if (r.clerical) clerical.set(r.event_id, r.status === 'linked' ? r.person_id : null);
    }
    for (const r of await sql<{ event_id: string; person_id: string; weight: number }[]>`
        select event_id::text as event_id, person_id, weight from linkage.candidate_pairs`)
      pairs.push({ eventId: r.event_id, personId: r.person_id, weight: Number(r.weight) });
  }
  const own = new Map<string, Record<string, LifeRoomsFact>>();
  const walkIns = new Map<string, LifeRoomsFact>();
  for (const r of await sql<{ person_id: string | null; doc: LifeRoomsDoc }[]>`
      select person_id, doc from read_model.life_rooms`) {
    const mine: Record<string, LifeRoomsFact> = {};
    for (const [eventId, fact] of Object.entries(r.doc.facts)) {
      if (walkInIds.has(eventId)) walkIns.set(eventId, fact);
      else mine[eventId] = fact;
    }
    if (r.person_id && Object.keys(mine).length > 0) own.set(r.person_id, mine);
  }
  const survivors = new Map<string, string>();
  for (const r of await sql<{ merged_id: string; survivor_id: string }[]>`
      select merged_id, survivor_id from read_model.person_merge`)
    survivors.set(r.merged_id, r.survivor_id);
  const ownerOf = (id: string) => survivors.get(id) ?? id;
  const dataSpan = span ?? { startDay: Number.NEGATIVE_INFINITY, endDay: Number.POSITIVE_INFINITY };

  const estimates: LinkageSensitivityResult['estimates'] = [];
  const suppressed: LinkageSensitivityResult['suppressed'] = [];
  for (const threshold of thresholds) {
    const links = attributeAtThreshold(pairs, threshold, clerical);
    const indexDates = indexDatesWith(own, walkIns, links, ownerOf);
    const at: EvaluationSubject[] = subjects.map((s) => {
      const date = indexDates.get(s.personId);
      return { ...s, indexDay: date ? dayNumber(date) : null };
    });
    const users = at.filter((s) => s.indexDay !== null);
    const candidates = at.filter((s) => s.indexDay === null);
    const matched = matchOnTrajectory(users, candidates, dataSpan, design.matching);
    const byId = new Map(at.map((s) => [s.personId, s]));
    const comparison = matchedDifferenceInDifferences(
      matched.sets,
      byId,
      measure,
      { before: [-BEFORE, -WASHOUT], after: [0, AFTER] },
      dataSpan,
    );
    const publication = outcomesPublication({
      measure,
      unit: 'events per person-year',
      before: BEFORE,
      after: AFTER,
      interval: MATCHED_DID_INTERVAL,
      comparison,
      userIds: matched.sets.map((set) => set.userId),
      controlIds: matched.sets.flatMap((set) => set.controlIds),
    });
    const { ledger, audience } = options;
    const decide = (state: ReleaseLedgerState) =>
      applyPublishingGate(publication.request, policy, state);
    // With a ledger, decided against it and recorded as one step for the DSA (no request of the
    // DSA checks or records in between: see ReleasedCellLedger.checkAndRecord).
    const gated =
      ledger && audience
        ? (
            await ledger.checkAndRecord(audience.dsa, (state) => {
              const decided = decide(state);
              return {
                result: decided,
                release: {
                  output: `${audience.output} threshold ${threshold}`,
                  via: 'query' as const,
                  policyVersion: decided.policyVersion,
                  populations: decided.released,
                },
              };
            })
          ).result
        : decide(EMPTY_RELEASE_LEDGER);
    estimates.push({ threshold, estimate: publication.format(gated).body });
    for (const cell of gated.suppressed) suppressed.push({ ...cell, threshold });
  }
  return {
    measure,
    estimates,
    suppressed,
    cellsSuppressed: suppressed.length,
    note: 'records without an NHS number attributed to their best candidate at or above each threshold (clerical decisions kept); cohort, matching and estimate re-run on that attribution',
  };
}
