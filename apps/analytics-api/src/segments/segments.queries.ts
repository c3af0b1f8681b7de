import type { Sql } from '@linkage/database';
import {
  applyPublishingGate,
  DEFAULT_PUBLISHING_POLICY,
  isOutcomeMeasure,
  publishedValue,
  segmentKeysOf,
  type GateResult,
  type OutcomeMeasure,
  publishingPolicy,
  type DisclosurePolicy,
  type PublishingPolicy,
  type Ruleset,
  type Statistic,
  type SuppressedCell,
} from '@linkage/domain';
import { NotFoundError } from '@linkage/common';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import type { AnalyticsQueries } from '../analytics/analytics.queries';

/**
 * Passes raw counts through the publishing gate (one pure function for every published number):
 * `cells` are named raw counts, `lines` the cells that add up along a row or column.
 */
function gateCounts(
  counts: Record<string, number>,
  lines: string[][],
  policy: PublishingPolicy,
): { value: (cell: string) => number | null; result: GateResult } {
  const cells: Record<string, Statistic> = {};
  for (const [name, value] of Object.entries(counts)) cells[name] = { kind: 'count', value };
  const result = applyPublishingGate({ cells, lines }, policy);
  return { value: (cell) => publishedValue(result, cell), result };
}

/** A published change: the difference of two published sizes (never of raw counts). */
function change(now: number | null, before: number | null | undefined): number | null {
  return now === null || before === null || before === undefined ? null : now - before;
}

/** A report: the JSON body, its CSV rows, and what the audit entry records. */
export interface SegmentResult {
  body: Record<string, unknown> & { cellsSuppressed: number };
  rows: Array<Record<string, string | number | null>>;
  cellsSuppressed: number;
}

/** The area levels segment sizes are reported by. */
export const SEGMENT_AREA_LEVELS = [
  'local-authority',
  'postcode-district',
  'postcode-sector',
  'lsoa',
  'imd-decile',
] as const;
export type SegmentAreaLevel = (typeof SEGMENT_AREA_LEVELS)[number];

const AREA_COLUMN: Record<SegmentAreaLevel, string> = {
  'local-authority': 'local_authority',
  'postcode-district': 'postcode_district',
  'postcode-sector': 'postcode_sector',
  lsoa: 'lsoa',
  'imd-decile': 'imd_decile',
};

/** The Life Rooms lens gives an outcome estimate only for segments with at least this many Life Rooms users. */
export const LENS_MIN_USERS = 50;

interface RunRow {
  run_id: string;
  ruleset_id: string;
  ruleset_version: string;
  as_of: string;
  finished_at: Date;
  sizes: Record<string, number>;
  read_model_position: string;
}

export interface SegmentProvenance {
  ruleset: string;
  rulesetVersion: string;
  runId: string;
  asOf: string;
  runFinishedAt: string;
  readModelPosition: string;
  publishingPolicy: string;
}

/**
 * Segment reports from the latest runs: sizes, areas, trend and the Life Rooms lens. Queries
 * compute raw counts; every count passes disclosure control before it is returned (tables with
 * secondary suppression), changes are differences of published numbers, and people who opted
 * out since the run are left out of current counts.
 */
export class SegmentQueries {
  private readonly rulesets = new Map<string, Ruleset>();

  constructor(
    private readonly sql: Sql,
    private readonly outcomes: AnalyticsQueries,
    policy: PublishingPolicy | DisclosurePolicy = DEFAULT_PUBLISHING_POLICY,
  ) {
    // Count rules alone (older callers) become a publishing policy, as in AnalyticsQueries.
    this.policy =
      'version' in policy
        ? policy
        : publishingPolicy({ countThreshold: policy.threshold, countRounding: policy.rounding });
  }
  private readonly policy: PublishingPolicy;

  private ruleset(id: string): Ruleset | undefined {
    if (!this.rulesets.has(id)) {
      try {
        this.rulesets.set(id, loadRuleset(id));
      } catch {
        return undefined;
      }
    }
    return this.rulesets.get(id);
  }

  private async runs(rulesetId: string): Promise<RunRow[]> {
    const [exists] = await this.sql<{ present: boolean }[]>`
      select to_regclass('segmentation.run') is not null as present`;
    if (!exists.present) return [];
    return this.sql<RunRow[]>`
      select run_id, ruleset_id, ruleset_version, as_of::text as as_of, finished_at, sizes,
             read_model_position
      from segmentation.run where ruleset_id = ${rulesetId} order by finished_at, run_id`;
  }

  private provenance(run: RunRow): SegmentProvenance {
    return {
      ruleset: run.ruleset_id,
      rulesetVersion: run.ruleset_version,
      runId: run.run_id,
      asOf: run.as_of,
      runFinishedAt: run.finished_at.toISOString(),
      readModelPosition: run.read_model_position,
      publishingPolicy: this.policy.version,
    };
  }

  /** Resolves `<ruleset>.<segment>[.<subsegment>]` to its ruleset, name and latest runs. */
  private async segment(id: string) {
    const rulesetId = id.split('.')[0];
    const ruleset = this.ruleset(rulesetId);
    const key = ruleset && segmentKeysOf(ruleset).find((s) => s.key === id);
    if (!ruleset || !key) throw new NotFoundError('segment');
    const runs = await this.runs(rulesetId);
    if (runs.length === 0) throw new NotFoundError('segmentation run');
    return { ruleset, key, runs, latest: runs[runs.length - 1] };
  }

  /** Current members (latest run, minus anyone opted out since) with their area and Life Rooms use. */
  private async members(segment: string, column = 'local_authority') {
    return this.sql<{ area: string | number | null; users: number; others: number }[]>`
      select p.${this.sql(column)} as area,
             count(*) filter (where lr.person_id is not null)::int as users,
             count(*) filter (where lr.person_id is null)::int as others
      from segmentation.member m
      join read_model.person_profile p on p.person_id = m.person_id and not p.opted_out
      left join read_model.cohort lr on lr.person_id = m.person_id
      where m.segment = ${segment}
      group by 1 order by 1 nulls last`;
  }

  /** Every segment of the shipped rulesets (or one ruleset) with its size at the latest run and the change since the run before. */
  async list(rulesetId?: string): Promise<SegmentResult> {
    const ids = rulesetId ? [rulesetId] : [...SHIPPED_RULESETS];
    const raw: Record<string, number> = {};
    const entries: {
      key: ReturnType<typeof segmentKeysOf>[number];
      ruleset: Ruleset;
      latest?: RunRow;
      previous?: RunRow;
    }[] = [];
    const runsOut: SegmentProvenance[] = [];
    for (const id of ids) {
      const ruleset = this.ruleset(id);
      if (!ruleset) throw new NotFoundError('ruleset');
      const runs = await this.runs(id);
      const latest = runs[runs.length - 1];
      const previous = runs[runs.length - 2];
      if (latest) runsOut.push(this.provenance(latest));
      for (const key of segmentKeysOf(ruleset)) {
        entries.push({ key, ruleset, latest, previous });
        if (latest) raw[`${key.key}/size`] = latest.sizes[key.key] ?? 0;
        if (previous) raw[`${key.key}/previous`] = previous.sizes[key.key] ?? 0;
      }
    }
    // Sizes of segments overlap (subsegments, independent rulesets): no line adds up, so each
    // size is gated as a count on its own.
    const gated = gateCounts(raw, [], this.policy);
    const get = (cell: string) => (cell in raw ? gated.value(cell) : null);
    const segments = entries.map(({ key, ruleset, latest }) => {
      const size = get(`${key.key}/size`);
      return {
        id: key.key,
        ruleset: ruleset.id,
        rulesetVersion: ruleset.version,
        name: key.name,
        parent: key.parent,
        size,
        changeSincePreviousRun: change(size, get(`${key.key}/previous`)),
        lastRunAsOf: latest?.as_of ?? null,
      };
    });
    const suppressed = gated.result.suppressed.filter((c) => c.cell.endsWith('/size'));
    return {
      body: {
        segments,
        suppressed: suppressed.map(publicSuppressed),
        cellsSuppressed: suppressed.length,
        provenance: { runs: runsOut, publishingPolicy: gated.result.policyVersion },
      },
      rows: segments.map((s) => ({
        id: s.id,
        ruleset: s.ruleset,
        name: s.name,
        size: s.size,
        change_since_previous_run: s.changeSincePreviousRun,
        last_run_as_of: s.lastRunAsOf,
      })),
      cellsSuppressed: suppressed.length,
    };
  }

  /**
   * One segment: size, the Life Rooms lens (members who used the Life Rooms and who did not) and,
   * when enough members used the Life Rooms, the evaluation's outcome estimate within the segment.
   */
  async show(id: string, measure: string = 'ae'): Promise<SegmentResult> {
    const { ruleset, key, latest } = await this.segment(id);
    const rows = await this.members(id);
    const users = rows.reduce((a, r) => a + r.users, 0);
    const others = rows.reduce((a, r) => a + r.others, 0);
    // Members = users + non-users: one line, so neither part can be worked out from the total.
    const gated = gateCounts(
      { size: latest.sizes[id] ?? 0, members: users + others, users, others },
      [['users', 'others']],
      this.policy,
    );
    const rule = ruleset.segments.find((s) => key.key.split('.')[1] === s.id)!;
    let outcome: Record<string, unknown> | null = null;
    let outcomeWithheld: string | null = null;
    const m: OutcomeMeasure = isOutcomeMeasure(measure) ? measure : 'ae';
    if (users < LENS_MIN_USERS) {
      outcomeWithheld = 'segment_too_small';
    } else {
      const memberIds = await this.sql<{ person_id: string }[]>`
        select person_id from segmentation.member where segment = ${id}`;
      const result = await this.outcomes.outcomes(
        m,
        12,
        12,
        undefined,
        undefined,
        memberIds.map((r) => r.person_id),
      );
      const { provenance: _ignored, ...estimate } = result.body;
      outcome = estimate;
    }
    const lens = {
      members: gated.value('members'),
      lifeRoomsUsers: gated.value('users'),
      nonUsers: gated.value('others'),
      outcomeMeasure: m,
      outcome,
      outcomeWithheld,
      outcomeMinimumUsers: LENS_MIN_USERS,
    };
    const body = {
      id,
      name: key.name,
      parent: key.parent,
      ruleset: ruleset.id,
      rulesetVersion: ruleset.version,
      description: rule.description ?? null,
      criteria: key.parent
        ? rule.subsegments?.find((s) => s.id === id.split('.')[2])?.criteria
        : rule.criteria,
      size: gated.value('size'),
      lifeRooms: lens,
      suppressed: gated.result.suppressed.map(publicSuppressed),
      cellsSuppressed: gated.result.suppressed.length,
      provenance: this.provenance(latest),
    };
    return {
      body,
      rows: [
        {
          id,
          name: key.name,
          size: body.size,
          life_rooms_users: lens.lifeRoomsUsers,
          non_users: lens.nonUsers,
          outcome_measure: m,
          outcome_withheld: outcomeWithheld ?? '', // a reason, not a number: '' when none
        },
      ],
      cellsSuppressed: gated.result.suppressed.length,
    };
  }

  /** Members by area (users and non-users of the Life Rooms), controlled as one table. */
  async areas(id: string, level: SegmentAreaLevel): Promise<SegmentResult> {
    const { latest } = await this.segment(id);
    const rows = await this.members(id, AREA_COLUMN[level]);
    const names = rows.map((r) => (r.area === null ? 'unknown' : String(r.area)));
    const raw: Record<string, number> = {};
    rows.forEach((r, i) => {
      raw[`areas/${names[i]}/users`] = r.users;
      raw[`areas/${names[i]}/others`] = r.others;
      raw[`areas/${names[i]}/members`] = r.users + r.others;
    });
    raw.totalMembers = rows.reduce((a, r) => a + r.users + r.others, 0);
    raw.totalUsers = rows.reduce((a, r) => a + r.users, 0);
    // Rows (users + non-users = members) and columns (users and non-users over the areas).
    const lines = [
      ...names.map((n) => [`areas/${n}/users`, `areas/${n}/others`]),
      names.map((n) => `areas/${n}/users`),
      names.map((n) => `areas/${n}/others`),
    ].filter((line) => line.length > 1);
    const gated = gateCounts(raw, lines, this.policy);
    const areas = names.map((n) => ({
      area: n,
      members: gated.value(`areas/${n}/members`),
      lifeRoomsUsers: gated.value(`areas/${n}/users`),
      nonUsers: gated.value(`areas/${n}/others`),
    }));
    const suppressed = gated.result.suppressed;
    return {
      body: {
        id,
        level,
        areas,
        totalMembers: gated.value('totalMembers'),
        totalLifeRoomsUsers: gated.value('totalUsers'),
        suppressed: suppressed.map(publicSuppressed),
        cellsSuppressed: suppressed.length,
        provenance: this.provenance(latest),
      },
      rows: areas.map((a) => ({
        area: a.area,
        members: a.members,
        life_rooms_users: a.lifeRoomsUsers,
        non_users: a.nonUsers,
      })),
      cellsSuppressed: suppressed.length,
    };
  }

  /** The segment's size at every run, and the change since the run before (of published numbers). */
  async trend(id: string): Promise<SegmentResult> {
    const { runs, latest } = await this.segment(id);
    const raw = Object.fromEntries(runs.map((run, i) => [`runs/${i}/size`, run.sizes[id] ?? 0]));
    const gated = gateCounts(raw, [], this.policy);
    const points = runs.map((run, i) => {
      const size = gated.value(`runs/${i}/size`);
      return {
        runId: run.run_id,
        rulesetVersion: run.ruleset_version,
        asOf: run.as_of,
        finishedAt: run.finished_at.toISOString(),
        size,
        changeSincePreviousRun: i === 0 ? null : change(size, gated.value(`runs/${i - 1}/size`)),
      };
    });
    const suppressed = gated.result.suppressed.length;
    return {
      body: {
        id,
        runs: points,
        suppressed: gated.result.suppressed.map(publicSuppressed),
        cellsSuppressed: suppressed,
        provenance: this.provenance(latest),
      },
      rows: points.map((p, i) => ({
        run_id: p.runId,
        ruleset_version: p.rulesetVersion,
        as_of: p.asOf,
        size: p.size,
        // The first run has no previous one: not applicable (''), unlike a withheld change (null).
        change_since_previous_run: i === 0 ? '' : p.changeSincePreviousRun,
      })),
      cellsSuppressed: suppressed,
    };
  }
}

/** A withheld cell as users see it: where and by which rule, never the value. */
function publicSuppressed(c: SuppressedCell): { cell: string; rule: string } {
  return { cell: c.cell, rule: c.rule };
}
