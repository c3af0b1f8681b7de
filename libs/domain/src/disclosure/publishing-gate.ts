/**
 * The publishing gate: the one pure function every number passes before it leaves the service
 * (API JSON and CSV, CLI output, exports, release files, the demo summary, segment reports, the
 * web page). Queries compute raw statistics; the gate decides what may be shown; formatters
 * format. The gate knows the kind of each statistic and applies that kind's rule.
 *
 * The aim for every kind: nothing published, alone or combined with any other published number,
 * yields an exact count from 1 to `countThreshold`, an exact group size that the count rules
 * round, or one person's values.
 *
 * - **count**: 0 is published (it singles no one out); 1..`countThreshold` is suppressed; the rest
 *   is rounded to the nearest `countRounding`. Counts that add up along a line (a row or column of
 *   a breakdown) get secondary suppression: no line keeps exactly one suppressed cell.
 * - **total** (an amount such as cost, not a count): only for a group of at least
 *   `minimumGroupSize` (after rounding), rounded to `significantFigures`.
 * - **rate**: computed from the *rounded* numerator and the *rounded* denominator, so rate x
 *   denominator gives back only the rounded numerator, never the exact count (the attack that
 *   solved exact event counts from `rate_per_person_year` beside rounded counts). A suppressed
 *   numerator suppresses the rate; the rate is then rounded to `significantFigures`.
 * - **proportion**: rounded numerator over rounded denominator, to `proportionDecimals`.
 * - **mean**: only for a group of at least `minimumGroupSize`, rounded to a step at least
 *   `meanSumRanges` x (one person's value range) / (smallest size the rounded size allows). Then
 *   mean x size is uncertain by several persons' whole ranges, so neither a sum, nor a count of a
 *   0/1 variable, nor one person's value follows from two means over groups differing by one.
 * - **smd** (standardised mean difference): groups of at least `minimumGroupSize`; `smdDecimals`.
 * - **estimate** with an interval: groups of at least `minimumGroupSize`; estimate and bounds
 *   rounded to a step of at least the interval width / `estimateStepsPerInterval`.
 * - **percentile**: group of at least `minimumGroupSize` and at least `countThreshold` + 1 people
 *   on each side (else it is one person's value), rounded to the value range /
 *   `percentileStepsPerRange`.
 *
 * Any statistic may name cells it is computed from (`dependsOn`); it is suppressed when one of
 * them is, so a rate cannot reveal the event count hidden by secondary suppression.
 *
 * What the gate alone does not stop: differencing across queries (two populations that differ by
 * a few people). That needs the history of what was released, checked by the released-cell
 * ledger (see the `differencing` rule).
 */

import {
  EMPTY_RELEASE_LEDGER,
  findDifferencing,
  sortedMembers,
  type ReleasedPopulation,
  type ReleaseLedgerState,
} from './released-cell-ledger';

/** The rules by which a cell is withheld: stable codes, shown to users in `suppressed` lists. */
export const SUPPRESSION_RULES = [
  /** A count from 1 to the threshold. */
  'small_count',
  /** Withheld so that a suppressed count in the same line cannot be derived from the others. */
  'secondary',
  /** The group the statistic describes is smaller than the minimum (or its size is suppressed). */
  'group_below_minimum',
  /** The numerator of a rate or proportion is a count from 1 to the threshold. */
  'small_numerator',
  /** A cell this statistic is computed from is suppressed. */
  'depends_on_suppressed',
  /** Too few people beyond a percentile: it would be one person's value. */
  'percentile_tail',
  /** Not a finite number (e.g. a mean over nobody). */
  'not_computable',
  /** The population differs from one already released to this DSA by 1 to the threshold. */
  'differencing',
] as const;
export type SuppressionRule = (typeof SUPPRESSION_RULES)[number];

export const STATISTIC_KINDS = [
  'count',
  'total',
  'rate',
  'mean',
  'proportion',
  'smd',
  'estimate',
  'percentile',
] as const;
export type StatisticKind = (typeof STATISTIC_KINDS)[number];

/** Version of the default policy; every result's provenance carries the version it was gated by. */
export const PUBLISHING_POLICY_VERSION = 'publishing-policy/1';

/** The policy for each kind of statistic (configuration: see `publishingPolicy`). */
export interface PublishingPolicy {
  /** Changes whenever any setting changes; recorded in every result's provenance. */
  readonly version: string;
  /** Counts from 1 to this are suppressed (common NHS practice: 7). */
  readonly countThreshold: number;
  /** Other counts are rounded to the nearest multiple of this (5). */
  readonly countRounding: number;
  /** No statistic other than a count for a group whose rounded size is below this (10). */
  readonly minimumGroupSize: number;
  /** Rates, totals and person-time are rounded to this many significant figures (3). */
  readonly significantFigures: number;
  /** Proportions from rounded counts are published to this many decimals (3). */
  readonly proportionDecimals: number;
  /** Standardised mean differences are published to this many decimals (2). */
  readonly smdDecimals: number;
  /** A mean's step makes mean x size uncertain by at least this many value ranges (5). */
  readonly meanSumRanges: number;
  /** An estimate is rounded to a step of at least its interval width / this (20). */
  readonly estimateStepsPerInterval: number;
  /** A percentile is rounded to a step of at least the value range / this (20). */
  readonly percentileStepsPerRange: number;
}

export const COUNT_THRESHOLD = 7;
export const COUNT_ROUNDING = 5;
export const MINIMUM_GROUP_SIZE = 10;
export const SIGNIFICANT_FIGURES = 3;
export const PROPORTION_DECIMALS = 3;
export const SMD_DECIMALS = 2;
export const MEAN_SUM_RANGES = 5;
export const ESTIMATE_STEPS_PER_INTERVAL = 20;
export const PERCENTILE_STEPS_PER_RANGE = 20;

export const DEFAULT_PUBLISHING_POLICY: PublishingPolicy = Object.freeze({
  version: PUBLISHING_POLICY_VERSION,
  countThreshold: COUNT_THRESHOLD,
  countRounding: COUNT_ROUNDING,
  minimumGroupSize: MINIMUM_GROUP_SIZE,
  significantFigures: SIGNIFICANT_FIGURES,
  proportionDecimals: PROPORTION_DECIMALS,
  smdDecimals: SMD_DECIMALS,
  meanSumRanges: MEAN_SUM_RANGES,
  estimateStepsPerInterval: ESTIMATE_STEPS_PER_INTERVAL,
  percentileStepsPerRange: PERCENTILE_STEPS_PER_RANGE,
});

type PolicySettings = Omit<PublishingPolicy, 'version'>;

/**
 * Builds a policy from configuration (e.g. parsed environment). Settings that differ from the
 * default make a version that names them, so a result always says exactly which rules made it.
 * Throws a `RangeError` naming the setting when one is out of range.
 */
export function publishingPolicy(
  overrides: Partial<PolicySettings> = {},
  base: PublishingPolicy = DEFAULT_PUBLISHING_POLICY,
): PublishingPolicy {
  const settings: PolicySettings = { ...withoutVersion(base), ...definedOnly(overrides) };
  const positive: Array<keyof PolicySettings> = [
    'countRounding',
    'minimumGroupSize',
    'significantFigures',
    'meanSumRanges',
    'estimateStepsPerInterval',
    'percentileStepsPerRange',
  ];
  for (const key of Object.keys(settings) as Array<keyof PolicySettings>) {
    const value = settings[key];
    const min = positive.includes(key) ? 1 : 0;
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`publishing policy: ${key} must be an integer >= ${min}`);
  }
  const changed = (Object.keys(settings) as Array<keyof PolicySettings>).filter(
    (key) => settings[key] !== withoutVersion(base)[key],
  );
  const version = changed.length
    ? `${base.version}+${changed.map((key) => `${key}=${settings[key]}`).join(',')}`
    : base.version;
  return Object.freeze({ version, ...settings });
}

/**
 * Parses a policy from configuration text (the `LINKAGE_PUBLISHING_POLICY` environment variable
 * holds JSON such as `{"countThreshold":10,"countRounding":10}`); empty means the default.
 * Throws a `RangeError` naming the setting that is unknown or out of range.
 */
export function parsePublishingPolicy(text: string | undefined): PublishingPolicy {
  if (text === undefined || text.trim() === '') return DEFAULT_PUBLISHING_POLICY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RangeError('publishing policy: not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new RangeError('publishing policy: expected a JSON object');
  const known = Object.keys(withoutVersion(DEFAULT_PUBLISHING_POLICY));
  for (const key of Object.keys(parsed)) {
    if (!known.includes(key)) throw new RangeError(`publishing policy: unknown setting ${key}`);
  }
  return publishingPolicy(parsed as Partial<PolicySettings>);
}

/** Properties every statistic may carry. */
interface StatisticBase {
  /** Cells (names in the same request) this one is computed from: suppressed with any of them. */
  readonly dependsOn?: readonly string[];
  /** The population (a name in `GateRequest.populations`) the statistic describes. */
  readonly population?: string;
}

/**
 * One raw statistic as a query computed it, with what the gate needs to judge it. Sizes are exact
 * (the gate rounds them); group sizes count distinct people.
 */
export type Statistic =
  | (StatisticBase & { readonly kind: 'count'; readonly value: number })
  | (StatisticBase & { readonly kind: 'total'; readonly value: number; readonly groupSize: number })
  | (StatisticBase & {
      readonly kind: 'rate';
      /** Events (a count) or an amount (e.g. cost in GBP). */
      readonly numerator: number;
      readonly numeratorKind: 'count' | 'amount';
      /** Person-time (e.g. person-years) or a count (e.g. people). */
      readonly denominator: number;
      readonly denominatorKind: 'person-time' | 'count';
      /** Distinct people the rate is about. */
      readonly groupSize: number;
      /** Multiplier for the published rate (e.g. 1000 for "per 1,000 person-years"); 1 if absent. */
      readonly per?: number;
    })
  | (StatisticBase & {
      readonly kind: 'mean';
      readonly value: number;
      readonly groupSize: number;
      /** Width of the values one person can have (max - min), e.g. 28 for SWEMWBS metric 7-35. */
      readonly valueRange: number;
    })
  | (StatisticBase & {
      readonly kind: 'proportion';
      /** A count of people (or things) among the denominator. */
      readonly numerator: number;
      readonly denominator: number;
    })
  | (StatisticBase & {
      readonly kind: 'smd';
      readonly value: number;
      /** Sizes of the groups compared. */
      readonly groupSizes: readonly number[];
    })
  | (StatisticBase & {
      readonly kind: 'estimate';
      readonly value: number;
      readonly low: number;
      readonly high: number;
      /** Sizes of the groups the estimate is computed from. */
      readonly groupSizes: readonly number[];
    })
  | (StatisticBase & {
      readonly kind: 'percentile';
      readonly value: number;
      /** Which percentile, as a fraction in [0, 1] (0.5 is the median). */
      readonly fraction: number;
      readonly groupSize: number;
      readonly valueRange: number;
    });

/** What a query hands to the gate: named cells and the lines along which counts add up. */
export interface GateRequest {
  /** Cell name -> raw statistic. Names are stable paths, e.g. `sites/Bootle/people`. */
  readonly cells: Readonly<Record<string, Statistic>>;
  /**
   * Count cells that add up to a published (or derivable) total: each row and each column of a
   * breakdown. No line keeps exactly one suppressed cell.
   */
  readonly lines?: ReadonlyArray<readonly string[]>;
  /**
   * Name -> population (with member tags) the cells describe, in result order, for the
   * differencing check against the released-cell ledger and within the result.
   */
  readonly populations?: Readonly<Record<string, ReleasedPopulation>>;
}

/** One gated cell: the published value, or the rule that withheld it (never the value). */
export type GatedCell =
  | {
      readonly kind: StatisticKind;
      readonly published: true;
      readonly value: number;
      /** For estimates: the published interval bounds. */
      readonly interval?: readonly [number, number];
    }
  | { readonly kind: StatisticKind; readonly published: false; readonly rule: SuppressionRule };

/** A withheld cell as shown to users: which cell and by which rule, never its value. */
export interface SuppressedCell {
  readonly cell: string;
  readonly kind: StatisticKind;
  readonly rule: SuppressionRule;
}

export interface GateResult {
  /** The policy version that made this result (goes into provenance). */
  readonly policyVersion: string;
  readonly cells: Readonly<Record<string, GatedCell>>;
  /** Every withheld cell, in request order. */
  readonly suppressed: readonly SuppressedCell[];
  /** The request's populations with at least one published cell: what to record in the ledger. */
  readonly released: readonly ReleasedPopulation[];
}

/**
 * Gates a set of statistics: each cell comes back published (rounded as its kind requires) or
 * suppressed with the rule that withheld it. With a `ledger` (what the DSA was given before), a
 * population that differs from a released one (or an earlier one of this request) by 1 to the
 * count threshold has all its cells withheld (`differencing`). Throws a `RangeError` for a
 * malformed request (a negative or fractional count, a line, dependency or population naming an
 * unknown cell or population).
 */
export function applyPublishingGate(
  request: GateRequest,
  policy: PublishingPolicy = DEFAULT_PUBLISHING_POLICY,
  ledger: ReleaseLedgerState = EMPTY_RELEASE_LEDGER,
): GateResult {
  const names = Object.keys(request.cells);
  const decided = new Map<string, GatedCell>();

  // Differencing is decided first, so that a count it withholds gets secondary suppression in
  // its lines like any other (else a published total minus the other cells would give it back).
  const populations = request.populations ?? {};
  for (const name of names) {
    const population = request.cells[name].population;
    if (population !== undefined && !(population in populations))
      throw new RangeError(`${name} describes unknown population ${population}`);
  }
  const conflicting = new Set(
    findDifferencing(populations, ledger, policy.countThreshold).map((c) => c.population),
  );
  const differenced = (name: string) => {
    const population = request.cells[name].population;
    return population !== undefined && conflicting.has(population);
  };

  // 1. Counts on their own.
  for (const name of names) {
    const stat = request.cells[name];
    if (stat.kind !== 'count') continue;
    const gated = gateCount(name, stat.value, policy);
    decided.set(name, differenced(name) ? withheld('count', 'differencing') : gated);
  }

  // 2. Secondary suppression along lines, until no line has exactly one suppressed cell; and
  // one decision per repeated population: the same people under another name (an area at two
  // runs of a segment with no change between them) are withheld together, so that one line
  // cannot give back what another line hid.
  const lines = (request.lines ?? []).map((line) => {
    for (const name of line) {
      if (request.cells[name]?.kind !== 'count')
        throw new RangeError(`line cell ${name} must be a count in this request`);
    }
    return line;
  });
  const samePeople = repeatedPopulations(request);
  const rawCount = (name: string) => (request.cells[name] as { value: number }).value;
  for (let changed = true; changed;) {
    changed = false;
    for (const line of lines) {
      const hidden = line.filter((name) => !decided.get(name)!.published);
      if (hidden.length !== 1) continue;
      const next = smallestVisible(line, rawCount, decided);
      if (next === undefined) continue;
      decided.set(next, { kind: 'count', published: false, rule: 'secondary' });
      changed = true;
    }
    for (const group of samePeople) {
      if (!group.some((name) => !decided.get(name)!.published)) continue;
      for (const name of group) {
        if (!decided.get(name)!.published) continue;
        decided.set(name, { kind: 'count', published: false, rule: 'secondary' });
        changed = true;
      }
    }
  }

  // 3. Every other kind.
  for (const name of names) {
    const stat = request.cells[name];
    if (stat.kind !== 'count') decided.set(name, gateStatistic(stat, policy));
  }

  // 4. Differencing against what was released before (and within this request).
  for (const name of names) {
    if (!differenced(name)) continue;
    decided.set(name, withheld(decided.get(name)!.kind, 'differencing'));
  }

  // 5. Dependencies, until stable (a dependency may itself depend on another cell).
  for (const name of names) {
    for (const dep of request.cells[name].dependsOn ?? []) {
      if (!(dep in request.cells)) throw new RangeError(`${name} depends on unknown cell ${dep}`);
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const name of names) {
      const cell = decided.get(name)!;
      if (!cell.published) continue;
      const deps = request.cells[name].dependsOn ?? [];
      if (deps.some((dep) => !decided.get(dep)!.published)) {
        decided.set(name, { kind: cell.kind, published: false, rule: 'depends_on_suppressed' });
        changed = true;
      }
    }
  }

  const cells: Record<string, GatedCell> = {};
  const suppressed: SuppressedCell[] = [];
  for (const name of names) {
    const cell = decided.get(name)!;
    cells[name] = cell;
    if (!cell.published) suppressed.push({ cell: name, kind: cell.kind, rule: cell.rule });
  }
  const releasedNames = new Set(
    names.filter((name) => cells[name].published).map((name) => request.cells[name].population),
  );
  const released = Object.entries(populations)
    .filter(([name]) => releasedNames.has(name))
    .map(([, population]) => population);
  return { policyVersion: policy.version, cells, suppressed, released };
}

/**
 * Gates one statistic on its own (no lines, no dependencies). Use `applyPublishingGate` for
 * anything published beside other counts it adds up with.
 */
export function gateStatistic(
  stat: Statistic,
  policy: PublishingPolicy = DEFAULT_PUBLISHING_POLICY,
): GatedCell {
  switch (stat.kind) {
    case 'count':
      return gateCount('count', stat.value, policy);
    case 'total': {
      const group = checkGroup(stat.kind, [stat.groupSize], policy);
      if (group) return group;
      return publishOrNot(stat.kind, roundSignificant(stat.value, policy.significantFigures));
    }
    case 'rate': {
      const group = checkGroup(stat.kind, [stat.groupSize], policy);
      if (group) return group;
      const numerator = gatedPart(stat.numerator, stat.numeratorKind, policy);
      if (numerator === null) return withheld(stat.kind, 'small_numerator');
      const denominator = gatedPart(
        stat.denominator,
        stat.denominatorKind === 'count' ? 'count' : 'amount',
        policy,
      );
      if (denominator === null || denominator <= 0)
        return withheld(stat.kind, denominator === null ? 'group_below_minimum' : 'not_computable');
      const rate = (numerator / denominator) * (stat.per ?? 1);
      return publishOrNot(stat.kind, roundSignificant(rate, policy.significantFigures));
    }
    case 'mean': {
      const group = checkGroup(stat.kind, [stat.groupSize], policy);
      if (group) return group;
      if (!(stat.valueRange > 0)) throw new RangeError('mean: valueRange must be positive');
      const smallestSize = smallestSizeBehind(publishableCount(stat.groupSize, policy)!, policy);
      const step = niceStepAtLeast((policy.meanSumRanges * stat.valueRange) / smallestSize);
      return publishOrNot(stat.kind, roundToStep(stat.value, step));
    }
    case 'proportion': {
      assertCount(stat.denominator, 'proportion denominator');
      const denominator = publishableCount(stat.denominator, policy);
      if (denominator === null || denominator < policy.minimumGroupSize)
        return withheld(stat.kind, 'group_below_minimum');
      assertCount(stat.numerator, 'proportion numerator');
      const numerator = publishableCount(stat.numerator, policy);
      if (numerator === null) return withheld(stat.kind, 'small_numerator');
      const value = Math.min(1, numerator / denominator);
      return publishOrNot(stat.kind, roundDecimals(value, policy.proportionDecimals));
    }
    case 'smd': {
      const group = checkGroup(stat.kind, stat.groupSizes, policy);
      if (group) return group;
      return publishOrNot(stat.kind, roundDecimals(stat.value, policy.smdDecimals));
    }
    case 'estimate': {
      const group = checkGroup(stat.kind, stat.groupSizes, policy);
      if (group) return group;
      if (![stat.value, stat.low, stat.high].every(Number.isFinite))
        return withheld(stat.kind, 'not_computable');
      const width = Math.abs(stat.high - stat.low);
      const round = (x: number) =>
        width > 0
          ? roundToStep(x, niceStepAtLeast(width / policy.estimateStepsPerInterval))
          : roundSignificant(x, policy.significantFigures);
      return {
        kind: stat.kind,
        published: true,
        value: round(stat.value),
        interval: [round(stat.low), round(stat.high)],
      };
    }
    case 'percentile': {
      const group = checkGroup(stat.kind, [stat.groupSize], policy);
      if (group) return group;
      if (!(stat.fraction >= 0 && stat.fraction <= 1))
        throw new RangeError('percentile: fraction must be in [0, 1]');
      const tail = policy.countThreshold + 1;
      const below = Math.floor(stat.fraction * stat.groupSize);
      const above = stat.groupSize - Math.ceil(stat.fraction * stat.groupSize);
      if (below < tail || above < tail) return withheld(stat.kind, 'percentile_tail');
      if (!(stat.valueRange > 0)) throw new RangeError('percentile: valueRange must be positive');
      const step = niceStepAtLeast(stat.valueRange / policy.percentileStepsPerRange);
      return publishOrNot(stat.kind, roundToStep(stat.value, step));
    }
    default: {
      const never: never = stat;
      throw new RangeError(`unknown statistic kind ${(never as { kind: string }).kind}`);
    }
  }
}

/** The published value of a cell, or null when it was withheld (for formatters). */
export function publishedValue(result: GateResult, cell: string): number | null {
  const gated = result.cells[cell];
  if (!gated) throw new RangeError(`no cell ${cell} in this result`);
  return gated.published ? gated.value : null;
}

/** The published interval of an estimate, or [null, null] when it was withheld. */
export function publishedInterval(
  result: GateResult,
  cell: string,
): [number | null, number | null] {
  const gated = result.cells[cell];
  if (!gated) throw new RangeError(`no cell ${cell} in this result`);
  return gated.published && gated.interval ? [gated.interval[0], gated.interval[1]] : [null, null];
}

/** A count under the policy: 0, null (suppressed) or rounded. */
export function publishableCount(
  count: number,
  policy: PublishingPolicy = DEFAULT_PUBLISHING_POLICY,
): number | null {
  assertCount(count, 'count');
  if (count === 0) return 0;
  if (count <= policy.countThreshold) return null;
  return Math.round(count / policy.countRounding) * policy.countRounding;
}

/** The smallest `1, 2, 5 x 10^k` step that is at least `x` (x > 0). */
export function niceStepAtLeast(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError('step must be positive and finite');
  const exponent = Math.floor(Math.log10(x));
  for (const e of [exponent - 1, exponent, exponent + 1]) {
    for (const m of [1, 2, 5]) {
      const step = Number((m * 10 ** e).toPrecision(1));
      if (step >= x * (1 - 1e-12)) return step;
    }
  }
  return Number((10 ** (exponent + 2)).toPrecision(1));
}

function gateCount(name: string, value: number, policy: PublishingPolicy): GatedCell {
  assertCount(value, name);
  const controlled = publishableCount(value, policy);
  return controlled === null
    ? withheld('count', 'small_count')
    : { kind: 'count', published: true, value: controlled };
}

function checkGroup(
  kind: StatisticKind,
  sizes: readonly number[],
  policy: PublishingPolicy,
): GatedCell | undefined {
  if (sizes.length === 0) throw new RangeError(`${kind}: at least one group size is needed`);
  for (const size of sizes) {
    assertCount(size, `${kind} group size`);
    const rounded = publishableCount(size, policy);
    if (rounded === null || rounded < policy.minimumGroupSize)
      return withheld(kind, 'group_below_minimum');
  }
  return undefined;
}

/** A count part is count-controlled (null when 1..threshold); an amount is rounded. */
function gatedPart(
  value: number,
  kind: 'count' | 'amount',
  policy: PublishingPolicy,
): number | null {
  if (kind === 'count') {
    return publishableCount(value, policy);
  }
  return roundSignificant(value, policy.significantFigures);
}

/** The smallest exact size a rounded size can stand for (a rounded 10 may be 8). */
function smallestSizeBehind(rounded: number, policy: PublishingPolicy): number {
  return Math.max(1, rounded - Math.floor(policy.countRounding / 2), policy.countThreshold + 1);
}

function publishOrNot(kind: StatisticKind, value: number): GatedCell {
  return Number.isFinite(value)
    ? { kind, published: true, value }
    : withheld(kind, 'not_computable');
}

function withheld(kind: StatisticKind, rule: SuppressionRule): GatedCell {
  return { kind, published: false, rule };
}

/**
 * Count cells whose populations hold the same people under different names (same family, same
 * members): groups of two or more cell names.
 */
function repeatedPopulations(request: GateRequest): string[][] {
  const populations = request.populations ?? {};
  const byPeople = new Map<string, { names: Set<string>; cells: string[] }>();
  // One key per population, not per cell: a site's people and visits share theirs.
  const keys = new Map<string, string>();
  for (const [name, stat] of Object.entries(request.cells)) {
    if (stat.kind !== 'count' || stat.population === undefined) continue;
    let key = keys.get(stat.population);
    if (key === undefined) {
      const p = populations[stat.population];
      key = `${p.family}\u0000${sortedMembers(p.members).join(',')}`;
      keys.set(stat.population, key);
    }
    const entry = byPeople.get(key) ?? { names: new Set<string>(), cells: [] };
    entry.names.add(stat.population);
    entry.cells.push(name);
    byPeople.set(key, entry);
  }
  return [...byPeople.values()].filter((e) => e.names.size > 1).map((e) => e.cells);
}

function smallestVisible(
  line: readonly string[],
  raw: (name: string) => number,
  decided: Map<string, GatedCell>,
): string | undefined {
  // Prefer a non-zero cell: hiding a zero next to a small count protects less.
  return [...line]
    .filter((name) => decided.get(name)!.published)
    .sort((a, b) => Number(raw(a) === 0) - Number(raw(b) === 0) || raw(a) - raw(b))[0];
}

function assertCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new RangeError(`${what} must be a non-negative integer`);
}

function roundSignificant(x: number, figures: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (x === 0) return 0;
  return Number(x.toPrecision(figures));
}

function roundDecimals(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  return Number((Math.round(x * 10 ** decimals) / 10 ** decimals).toFixed(decimals));
}

function roundToStep(x: number, step: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return Number((Math.round(x / step) * step).toFixed(decimals));
}

function withoutVersion(policy: PublishingPolicy): PolicySettings {
  const { version: _version, ...settings } = policy;
  return settings;
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
