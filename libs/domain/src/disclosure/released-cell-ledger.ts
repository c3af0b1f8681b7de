/**
 * The released-cell ledger: what each DSA has been given, as events (append only, one stream
 * per DSA), and the differencing check the publishing gate runs against it.
 *
 * Every published result names the populations its statistics describe (the cohort, the matched
 * users, the people of one site, ...) with their members as opaque tags (a truncated keyed hash
 * of the pseudonym, made outside the domain). Before a new result is released, each of its
 * populations is compared with every population already released to the same DSA and with the
 * other populations of the same result: when the two overlap and differ by 1 to the count threshold people,
 * the new population's statistics are withheld (rule `differencing`).
 *
 * What this stops:
 * - two matching runs (or a rebuild, or new data) whose matched users differ by a few people:
 *   the later run's statistics over that population are withheld;
 * - all users vs matched users when only a few are unmatched (means over each would give the
 *   unmatched people's values);
 * - two overlapping outcome windows or filters that select populations a few people apart, and a
 *   released file against a later query (release files are recorded here too);
 * - additions and removals that cancel out in size (membership is compared, not only sizes);
 * - a few people arriving in (or leaving) an area, a site or a segment between two answers:
 *   counts carry their populations too, so the LSOA map, segment sizes, areas and trend withhold
 *   the later count (a change of 1 to the threshold is never shown), and the gate then gives it
 *   secondary suppression in its lines so that a published total cannot give it back;
 * - a subgroup's estimate against the whole group's (a segment's Life Rooms lens holding all
 *   users but a few, against the outcomes over all users).
 *
 * What it does not stop:
 * - differencing by someone holding outputs of two DSAs (each DSA has its own ledger);
 * - populations that differ by more than the threshold where a few people still drive a
 *   difference in a statistic (the per-kind rounding of the gate is the protection there);
 * - differencing of event counts over one population across windows (the gate rounds every
 *   count and computes rates from rounded counts, and windows come from a grid of quarters);
 * - anything published before the ledger existed, or outside the service;
 * - counts whose people the service does not hold as a list (the matching run's relaxed users),
 *   and answers given without a DSA (the demo's own console summary, tests): those pass the
 *   gate's count rules only.
 */

/** One released population: what it is, and who is in it (sorted opaque tags). */
export interface ReleasedPopulation {
  /** What the population is, e.g. `cohort`, `matched-users`, `site:Bootle` (for reports). */
  readonly family: string;
  /** Sorted, distinct member tags. */
  readonly members: readonly string[];
}

/** Recorded whenever a result (a query answer or a release file) is given to a DSA. */
export interface PopulationsReleased {
  readonly type: 'PopulationsReleased';
  readonly schemaVersion: 1;
  readonly data: {
    readonly dsa: string;
    /** The query answer or release file, e.g. `GET /v1/cohort` or `release:<id>`. */
    readonly output: string;
    readonly via: 'query' | 'release-file';
    readonly policyVersion: string;
    readonly populations: readonly ReleasedPopulation[];
    readonly releasedAt: string;
  };
}

export type ReleaseLedgerEvent = PopulationsReleased;

/** What a DSA has been given so far. */
export interface ReleaseLedgerState {
  readonly populations: readonly ReleasedPopulation[];
  /** `family|digest` of every population already held, so the same release is not kept twice. */
  readonly known: ReadonlySet<string>;
}

export const EMPTY_RELEASE_LEDGER: ReleaseLedgerState = Object.freeze({
  populations: [],
  known: new Set<string>(),
});

/** Folds one ledger event into the state. */
export function evolveReleaseLedger(
  state: ReleaseLedgerState,
  event: ReleaseLedgerEvent,
): ReleaseLedgerState {
  switch (event.type) {
    case 'PopulationsReleased': {
      const populations = [...state.populations];
      const known = new Set(state.known);
      for (const p of event.data.populations) {
        const key = populationKey(p);
        if (known.has(key)) continue;
        known.add(key);
        populations.push({ family: p.family, members: [...p.members].sort() });
      }
      return { populations, known };
    }
    default: {
      const never: never = event.type;
      throw new RangeError(`unknown ledger event ${String(never)}`);
    }
  }
}

/** The populations of a result the ledger does not hold yet (what to record after release). */
export function newPopulations(
  state: ReleaseLedgerState,
  populations: readonly ReleasedPopulation[],
): ReleasedPopulation[] {
  // Not a copy of `known`: a DSA's ledger holds thousands of keys, and this runs per answer.
  const seen = new Set<string>();
  const out: ReleasedPopulation[] = [];
  for (const p of populations) {
    const key = populationKey(p);
    if (state.known.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({ family: p.family, members: [...p.members].sort() });
  }
  return out;
}

/** A population that must be withheld, with the population it differs from by a few people. */
export interface DifferencingConflict {
  readonly population: string;
  readonly against: string;
  readonly difference: number;
}

/**
 * Which of `candidates` (name -> population, in result order) differ from a released population
 * or from an earlier candidate of the same result by 1 to `threshold` people. The later one
 * of a pair is withheld; a withheld candidate is not compared with later ones (it is not released).
 */
export function findDifferencing(
  candidates: Readonly<Record<string, ReleasedPopulation>>,
  ledger: ReleaseLedgerState,
  /** The policy's count threshold: populations this close are a count from 1 to it apart. */
  threshold: number,
): DifferencingConflict[] {
  const released: Array<{ name: string; members: readonly string[] }> = ledger.populations.map(
    (p) => ({ name: p.family, members: p.members }),
  );
  const conflicts: DifferencingConflict[] = [];
  for (const [name, population] of Object.entries(candidates)) {
    const members = sortedMembers(population.members);
    let conflict: DifferencingConflict | undefined;
    for (const other of released) {
      // |A delta B| >= ||A| - |B||: most pairs are ruled out by size alone.
      if (Math.abs(other.members.length - members.length) > threshold) continue;
      const difference = symmetricDifferenceSize(members, other.members, threshold + 1);
      // Disjoint populations (two small sites) cannot be differenced: only overlapping ones.
      if (difference >= 1 && difference <= threshold && overlaps(members, other.members)) {
        conflict = { population: name, against: other.name, difference };
        break;
      }
    }
    if (conflict) conflicts.push(conflict);
    else released.push({ name: population.family, members });
  }
  return conflicts;
}

/** Size of the symmetric difference of two sorted lists, counting no further than `cap`. */
export function symmetricDifferenceSize(
  a: readonly string[],
  b: readonly string[],
  cap = Number.POSITIVE_INFINITY,
): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while ((i < a.length || j < b.length) && n < cap) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      n++;
      i++;
    } else if (i >= a.length || b[j] < a[i]) {
      n++;
      j++;
    } else {
      i++;
      j++;
    }
  }
  return n;
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

/**
 * Keys of populations already seen. A population is immutable and the same object is checked
 * on every answer it is part of (answers are computed once per read-model version), so its key
 * (a sort and a hash of all its members) is made once: same input, same key.
 */
const populationKeys = new WeakMap<ReleasedPopulation, string>();

function populationKey(p: ReleasedPopulation): string {
  let key = populationKeys.get(p);
  if (key === undefined) {
    key = `${p.family}|${digest(sortedMembers(p.members))}`;
    populationKeys.set(p, key);
  }
  return key;
}

/** The members sorted: as given when they already are (they should be), else a sorted copy. */
export function sortedMembers(members: readonly string[]): readonly string[] {
  for (let i = 1; i < members.length; i++) {
    if (members[i - 1] > members[i]) return [...members].sort();
  }
  return members;
}

/** A small non-cryptographic digest (FNV-1a, 2 x 32 bits) of the member list, for dedup only. */
function digest(members: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const m of members) {
    for (let k = 0; k < m.length; k++) {
      const c = m.charCodeAt(k);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
    }
    h1 = Math.imul(h1 ^ 0x2c, 0x01000193) >>> 0;
  }
  return `${members.length}:${h1.toString(16)}${h2.toString(16)}`;
}
