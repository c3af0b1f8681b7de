import { addMonths, dayNumber } from '../matching/calendar';
import { isActiveOn } from '../projections/condition-register.projection';
import type { PersonFacts } from './person-facts';
import { segmentKey, type Criterion, type Ruleset } from './ruleset';

/** One segment (or subsegment) a person belongs to, and the criteria that placed them. */
export interface Placement {
  segment: string;
  criteria: string[];
}

/** Why a person is in no segment at all, when it is not the criteria. */
export type Exclusion = 'opted_out' | 'died';

export interface PersonEvaluation {
  personId: string;
  placements: Placement[];
  excluded?: Exclusion;
}

/** Age in whole years on `asOf`, from the year of birth only (the date of birth never passes the edge). */
export function ageOn(yearOfBirth: number, asOf: string): number {
  return Number(asOf.slice(0, 4)) - yearOfBirth;
}

/** The first day inside a window of `months` ending on `asOf`: the window is (asOf - months, asOf]. */
function windowStart(asOf: string, months: number): string {
  const key = `${asOf}|${months}`;
  let start = windowStarts.get(key);
  if (start === undefined) {
    start = addMonths(asOf, -months);
    // A memo of pure results (bounded): rules evaluate millions of dates against few windows.
    if (windowStarts.size > 10_000) windowStarts.clear();
    windowStarts.set(key, start);
  }
  return start;
}
const windowStarts = new Map<string, string>();

const inWindow = (date: string, asOf: string, months: number) =>
  date > windowStart(asOf, months) && date <= asOf;

/**
 * Evaluates one criterion for a person as of a date. Returns whether it holds and the labels of
 * the leaf criteria that held (what "criteria matched" records). Pure: same facts, same answer.
 */
export function evaluateCriterion(
  c: Criterion,
  facts: PersonFacts,
  asOf: string,
): { holds: boolean; matched: string[] } {
  const leaf = (holds: boolean, label: string) => ({
    holds,
    matched: holds ? [c.label ?? label] : [],
  });
  const group = (results: { holds: boolean; matched: string[] }[], holds: boolean) => ({
    holds,
    matched: holds ? results.filter((r) => r.holds).flatMap((r) => r.matched) : [],
  });
  if ('all' in c) {
    const rs = c.all.map((x) => evaluateCriterion(x, facts, asOf));
    return group(
      rs,
      rs.every((r) => r.holds),
    );
  }
  if ('any' in c) {
    const rs = c.any.map((x) => evaluateCriterion(x, facts, asOf));
    return group(
      rs,
      rs.some((r) => r.holds),
    );
  }
  if ('not' in c) {
    const r = evaluateCriterion(c.not, facts, asOf);
    return leaf(!r.holds, `not(${describeCriterion(c.not)})`);
  }
  if ('of' in c) {
    const rs = c.of.map((x) => evaluateCriterion(x, facts, asOf));
    return group(rs, rs.filter((r) => r.holds).length >= c.atLeast);
  }
  if ('always' in c) return leaf(true, 'always');
  if ('condition' in c) {
    const holds = facts.conditions.some(
      (e) =>
        c.condition.includes(e.cluster) &&
        isActiveOn(e, asOf) &&
        (c.within === undefined || inWindow(e.recordedOn, asOf, c.within.months)),
    );
    return leaf(holds, describeCriterion(c));
  }
  if ('conditionCount' in c) {
    const active = new Set(
      facts.conditions
        .filter((e) => c.conditionCount.clusters.includes(e.cluster) && isActiveOn(e, asOf))
        .map((e) => e.cluster),
    );
    return leaf(active.size >= c.conditionCount.atLeast, describeCriterion(c));
  }
  if ('age' in c) {
    if (facts.yearOfBirth === null) return leaf(false, describeCriterion(c));
    const age = ageOn(facts.yearOfBirth, asOf);
    const holds =
      (c.age.atLeast === undefined || age >= c.age.atLeast) &&
      (c.age.below === undefined || age < c.age.below);
    return leaf(holds, describeCriterion(c));
  }
  if ('sex' in c)
    return leaf(facts.sex !== null && c.sex.includes(facts.sex), describeCriterion(c));
  if ('imdDecile' in c) {
    const d = facts.imdDecile;
    const holds =
      d !== null &&
      (c.imdDecile.atLeast === undefined || d >= c.imdDecile.atLeast) &&
      (c.imdDecile.atMost === undefined || d <= c.imdDecile.atMost);
    return leaf(holds, describeCriterion(c));
  }
  if ('activity' in c) {
    const n = facts.activity.filter(
      (a) => c.activity.includes(a.activity) && inWindow(a.date, asOf, c.within.months),
    ).length;
    return leaf(n >= c.atLeast, describeCriterion(c));
  }
  if ('rising' in c) {
    const { activity, quarters, latestAtLeast } = c.rising;
    // counts[0] is the latest quarter (asOf - 3 months, asOf], counts[1] the one before, ...
    const counts = Array.from({ length: quarters }, (_, q) => {
      const to = addMonths(asOf, -3 * q);
      const from = addMonths(asOf, -3 * (q + 1));
      return facts.activity.filter(
        (a) => activity.includes(a.activity) && a.date > from && a.date <= to,
      ).length;
    });
    const rising = counts.every((n, q) => q === counts.length - 1 || n > counts[q + 1]);
    return leaf(rising && counts[0] >= latestAtLeast, describeCriterion(c));
  }
  if ('socialPrescription' in c) {
    const { needs, within } = c.socialPrescription;
    const holds = facts.lifeRooms.prescriptions.some(
      (p) => needs.includes(p.need) && inWindow(p.date, asOf, within.months),
    );
    return leaf(holds, describeCriterion(c));
  }
  if ('prescriptionOutcome' in c) {
    const { outcomes, within } = c.prescriptionOutcome;
    const holds = facts.lifeRooms.prescriptions.some((p) => {
      if (!inWindow(p.date, asOf, within.months)) return false;
      const latest = facts.lifeRooms.outcomes
        .filter((o) => o.prescriptionId === p.prescriptionId && o.date <= asOf)
        .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))[0];
      return latest !== undefined && outcomes.includes(latest.outcome);
    });
    return leaf(holds, describeCriterion(c));
  }
  if ('referredWithoutContact' in c) {
    const { within, afterDays } = c.referredWithoutContact;
    const asOfDay = dayNumber(asOf);
    const holds = facts.lifeRooms.referrals.some(
      (r) =>
        inWindow(r, asOf, within.months) &&
        asOfDay - dayNumber(r) >= afterDays &&
        !facts.lifeRooms.contacts.some((d) => d >= r && d <= asOf),
    );
    return leaf(holds, describeCriterion(c));
  }
  if ('lifeRoomsUser' in c) {
    return leaf(
      facts.lifeRooms.contacts.some((d) => d <= asOf),
      'lifeRoomsUser',
    );
  }
  const never: never = c;
  throw new Error(`unknown criterion ${JSON.stringify(never)}`);
}

/** A short stable description of a leaf criterion (its default label). */
export function describeCriterion(c: Criterion): string {
  if (c.label) return c.label;
  if ('condition' in c)
    return `condition:${c.condition.join('|')}${c.within ? `/${c.within.months}m` : ''}`;
  if ('conditionCount' in c)
    return `conditions>=${c.conditionCount.atLeast}:${c.conditionCount.clusters.join('|')}`;
  if ('age' in c)
    return `age${c.age.atLeast !== undefined ? `>=${c.age.atLeast}` : ''}${c.age.below !== undefined ? `<${c.age.below}` : ''}`;
  if ('sex' in c) return `sex:${c.sex.join('|')}`;
  if ('imdDecile' in c)
    return `imd${c.imdDecile.atLeast !== undefined ? `>=${c.imdDecile.atLeast}` : ''}${c.imdDecile.atMost !== undefined ? `<=${c.imdDecile.atMost}` : ''}`;
  if ('activity' in c) return `${c.activity.join('|')}>=${c.atLeast}/${c.within.months}m`;
  if ('rising' in c) return `rising:${c.rising.activity.join('|')}/${c.rising.quarters}q`;
  if ('socialPrescription' in c)
    return `prescription:${c.socialPrescription.needs.join('|')}/${c.socialPrescription.within.months}m`;
  if ('prescriptionOutcome' in c)
    return `outcome:${c.prescriptionOutcome.outcomes.join('|')}/${c.prescriptionOutcome.within.months}m`;
  if ('referredWithoutContact' in c)
    return `referred-no-contact:${c.referredWithoutContact.afterDays}d/${c.referredWithoutContact.within.months}m`;
  if ('always' in c) return 'always';
  if ('lifeRoomsUser' in c) return 'lifeRoomsUser';
  if ('not' in c) return `not(${describeCriterion(c.not)})`;
  if ('all' in c) return `all(${c.all.map(describeCriterion).join(',')})`;
  if ('any' in c) return `any(${c.any.map(describeCriterion).join(',')})`;
  return `atLeast ${c.atLeast} of(${c.of.map(describeCriterion).join(',')})`;
}

/**
 * Places one person by a ruleset as of a date: opted-out people (current status) and people who
 * died on or before the date are in no segment. Hierarchical rulesets give the first segment
 * that applies; independent ones every segment that applies. Subsegments of a segment the
 * person is in are added when their own criteria hold.
 */
export function evaluatePerson(
  ruleset: Ruleset,
  facts: PersonFacts,
  asOf: string,
): PersonEvaluation {
  const personId = facts.personId;
  if (facts.optedOut) return { personId, placements: [], excluded: 'opted_out' };
  if (facts.deathDate !== null && facts.deathDate <= asOf)
    return { personId, placements: [], excluded: 'died' };
  const placements: Placement[] = [];
  for (const segment of ruleset.segments) {
    const r = evaluateCriterion(segment.criteria, facts, asOf);
    if (!r.holds) continue;
    placements.push({ segment: segmentKey(ruleset.id, segment.id), criteria: unique(r.matched) });
    for (const sub of segment.subsegments ?? []) {
      const s = evaluateCriterion(sub.criteria, facts, asOf);
      if (s.holds)
        placements.push({
          segment: segmentKey(ruleset.id, segment.id, sub.id),
          criteria: unique(s.matched),
        });
    }
    if (ruleset.mode === 'hierarchical') break;
  }
  return { personId, placements };
}

/** Every segment and subsegment key a ruleset defines, in file order. */
export function segmentKeysOf(
  ruleset: Ruleset,
): { key: string; name: string; parent: string | null }[] {
  return ruleset.segments.flatMap((s) => [
    { key: segmentKey(ruleset.id, s.id), name: s.name, parent: null },
    ...(s.subsegments ?? []).map((sub) => ({
      key: segmentKey(ruleset.id, s.id, sub.id),
      name: `${s.name}: ${sub.name}`,
      parent: segmentKey(ruleset.id, s.id),
    })),
  ]);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
