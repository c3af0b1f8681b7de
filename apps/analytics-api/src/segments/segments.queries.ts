import type { Sql } from '@linkage/database';
import {
  isOutcomeMeasure,
  publishedValue,
  segmentKeysOf,
  type GateResult,
  type OutcomeMeasure,
  type ReleasedPopulation,
  type Ruleset,
  type Statistic,
  type SuppressedCell,
} from '@linkage/domain';
import { NotFoundError } from '@linkage/common';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import type { AnalyticsQueries, Audience } from '../analytics/analytics.queries';
import { population } from '../analytics/analytics.publications';

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
  /** The membership stream's version after the run: its members are the changes up to it. */
  stream_version: number;
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

  /**
   * `gate`: the analytics queries whose publishing gate and released-cell ledger every report
   * passes (and whose outcome estimate the Life Rooms lens uses).
   */
  constructor(
    private readonly sql: Sql,
    private readonly gate: AnalyticsQueries,
  ) {}

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
             read_model_position, stream_version
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
      publishingPolicy: this.gate.publishingPolicy.version,
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

  /**
   * The members of each segment after each of `runs` (segment -> person ids), rebuilt from the
   * change history; only `segment` when given. A run the history does not reach yet (recorded
   * before the history existed, until the next run fills it in) gives null.
   */
  private async membersAfter(
    rulesetId: string,
    runs: readonly RunRow[],
    segment?: string,
  ): Promise<Array<Map<string, Set<string>> | null>> {
    const changes = await this.sql<
      { version: number; segment: string; person_id: string; assigned: boolean }[]
    >`
      select version, segment, person_id, assigned from segmentation.member_change
      where ruleset_id = ${rulesetId} ${segment ? this.sql`and segment = ${segment}` : this.sql``}
      order by version`;
    const [{ held }] = await this.sql<{ held: number }[]>`
      select coalesce(max(version), -1)::int as held from segmentation.member_change
      where ruleset_id = ${rulesetId}`;
    const state = new Map<string, Set<string>>();
    const out: Array<Map<string, Set<string>> | null> = [];
    let next = 0;
    for (const run of [...runs].sort((a, b) => a.stream_version - b.stream_version)) {
      for (; next < changes.length && changes[next].version <= run.stream_version; next++) {
        const c = changes[next];
        const members = state.get(c.segment) ?? new Set<string>();
        if (c.assigned) members.add(c.person_id);
        else members.delete(c.person_id);
        state.set(c.segment, members);
      }
      const snapshot =
        run.stream_version <= held
          ? new Map([...state].map(([k, v]) => [k, new Set(v)] as const))
          : null;
      out[runs.indexOf(run)] = snapshot;
    }
    return out;
  }

  /** The current members of a segment (the latest run), from the member table. */
  private async currentMembers(segment: string): Promise<string[]> {
    const rows = await this.sql<{ person_id: string }[]>`
      select person_id from segmentation.member where segment = ${segment}`;
    return rows.map((r) => r.person_id);
  }

  /**
   * Area and Life Rooms use of people, leaving out anyone opted out now (National Data Opt-out
   * applies to every output, whenever the run was) and anyone without a profile.
   */
  private async profiles(personIds: Iterable<string>): Promise<Map<string, Profile>> {
    const ids = [...new Set(personIds)];
    const rows = await this.sql<Profile[]>`
      select p.person_id, p.local_authority, p.postcode_district, p.postcode_sector, p.lsoa,
             p.imd_decile::text as imd_decile, (c.person_id is not null) as user
      from read_model.person_profile p left join read_model.cohort c using (person_id)
      where p.person_id = any(${ids}::text[]) and not p.opted_out`;
    return new Map(rows.map((r) => [r.person_id, r]));
  }

  /** Passes named statistics through the gate and the ledger of the audience's DSA. */
  private async publish(
    cells: Record<string, Statistic>,
    lines: string[][],
    populations: Record<string, ReleasedPopulation>,
    audience: Audience | undefined,
  ): Promise<{ value: (cell: string) => number | null; result: GateResult }> {
    const result = await this.gate.gate(
      { cells, lines: lines.filter((line) => line.length > 1), populations },
      audience,
    );
    return { value: (cell) => (cell in cells ? publishedValue(result, cell) : null), result };
  }

  /**
   * Every segment of the shipped rulesets (or one ruleset) with its size at the latest run and
   * the change since the run before. Each size is a count over its members (opted-out people
   * left out), a population in the ledger: a previous size whose members differ from the latest
   * by 1 to 7 people is withheld, so its change is too.
   */
  async list(rulesetId?: string, audience?: Audience): Promise<SegmentResult> {
    const ids = rulesetId ? [rulesetId] : [...SHIPPED_RULESETS];
    const cells: Record<string, Statistic> = {};
    const populations: Record<string, ReleasedPopulation> = {};
    const entries: {
      key: ReturnType<typeof segmentKeysOf>[number];
      ruleset: Ruleset;
      latest?: RunRow;
    }[] = [];
    const runsOut: SegmentProvenance[] = [];
    const previousCells: Array<[string, string[]]> = [];
    for (const id of ids) {
      const ruleset = this.ruleset(id);
      if (!ruleset) throw new NotFoundError('ruleset');
      const runs = await this.runs(id);
      const latest = runs[runs.length - 1];
      const previous = runs[runs.length - 2];
      if (latest) runsOut.push(this.provenance(latest));
      const [latestMembers, previousMembers] = latest
        ? await this.membersAfter(id, previous ? [latest, previous] : [latest])
        : [null, null];
      const everyone = [latestMembers, previousMembers].flatMap((m) =>
        m ? [...m.values()].flatMap((set) => [...set]) : [],
      );
      const profiles = await this.profiles(everyone);
      const kept = (set: Set<string> | undefined) =>
        [...(set ?? [])].filter((person) => profiles.has(person));
      for (const key of segmentKeysOf(ruleset)) {
        entries.push({ key, ruleset, latest });
        if (latestMembers) {
          const members = kept(latestMembers.get(key.key));
          cells[`${key.key}/size`] = {
            kind: 'count',
            value: members.length,
            population: `${key.key}@latest`,
          };
          populations[`${key.key}@latest`] = population(`segment:${key.key}`, members);
        }
        if (previousMembers) previousCells.push([`${key.key}`, kept(previousMembers.get(key.key))]);
      }
    }
    // Latest sizes first: of two populations a few people apart, the later one is withheld.
    for (const [key, members] of previousCells) {
      cells[`${key}/previous`] = {
        kind: 'count',
        value: members.length,
        population: `${key}@previous`,
      };
      populations[`${key}@previous`] = population(`segment:${key}`, members);
    }
    // Sizes of segments overlap (subsegments, independent rulesets): no line adds up, so each
    // size is gated as a count on its own (and against the ledger).
    const gated = await this.publish(cells, [], populations, audience);
    const segments = entries.map(({ key, ruleset, latest }) => {
      const size = gated.value(`${key.key}/size`);
      return {
        id: key.key,
        ruleset: ruleset.id,
        rulesetVersion: ruleset.version,
        name: key.name,
        parent: key.parent,
        size,
        changeSincePreviousRun: change(size, gated.value(`${key.key}/previous`)),
        lastRunAsOf: latest?.as_of ?? null,
      };
    });
    const suppressed = gated.result.suppressed;
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
   * when enough members used the Life Rooms, the evaluation's outcome estimate within the
   * segment. Every number passes the gate and the DSA's ledger, the estimate included (its
   * matched users are a population: a segment holding all users but a few cannot be differenced
   * against `/v1/outcomes`).
   */
  async show(id: string, measure: string = 'ae', audience?: Audience): Promise<SegmentResult> {
    const { ruleset, key, latest } = await this.segment(id);
    const profiles = await this.profiles(await this.currentMembers(id));
    const members = [...profiles.keys()];
    const users = members.filter((p) => profiles.get(p)!.user);
    const others = members.filter((p) => !profiles.get(p)!.user);
    // Members = users + non-users: one line, so neither part can be worked out from the total.
    const gated = await this.publish(
      {
        size: { kind: 'count', value: members.length, population: 'members' },
        members: { kind: 'count', value: members.length, population: 'members' },
        users: { kind: 'count', value: users.length, population: 'users' },
        others: { kind: 'count', value: others.length, population: 'others' },
      },
      [['users', 'others']],
      {
        members: population(`segment:${id}`, members),
        users: population(`segment:${id}:life-rooms-users`, users),
        others: population(`segment:${id}:non-users`, others),
      },
      audience,
    );
    const rule = ruleset.segments.find((s) => key.key.split('.')[1] === s.id)!;
    let outcome: Record<string, unknown> | null = null;
    let outcomeWithheld: string | null = null;
    let outcomeSuppressed: SuppressedCell[] = [];
    const m: OutcomeMeasure = isOutcomeMeasure(measure) ? measure : 'ae';
    if (users.length < LENS_MIN_USERS) {
      outcomeWithheld = 'segment_too_small';
    } else {
      const result = await this.gate.outcomes(m, 12, 12, audience, undefined, members);
      const { provenance: _ignored, ...estimate } = result.body;
      outcome = estimate;
      outcomeSuppressed = result.suppressed.map((c) => ({
        ...c,
        cell: `lifeRooms/outcome/${c.cell}`,
      }));
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
    const suppressed = [...gated.result.suppressed, ...outcomeSuppressed];
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
      suppressed: suppressed.map(publicSuppressed),
      cellsSuppressed: suppressed.length,
      provenance: this.provenance(latest),
    };
    const did = (outcome?.did as number | null | undefined) ?? null;
    const ci95 = (outcome?.ci95 as [number | null, number | null] | undefined) ?? [null, null];
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
          outcome_did: did,
          outcome_ci95_low: ci95[0],
          outcome_ci95_high: ci95[1],
          outcome_withheld: outcomeWithheld ?? '', // a reason, not a number: '' when none
        },
      ],
      cellsSuppressed: suppressed.length,
    };
  }

  /**
   * Members by area (users and non-users of the Life Rooms), controlled as one table, with each
   * area's change since the run before: the difference of the published sizes, null when either
   * is withheld (the previous run's members of an area are a population too, so a change of 1 to
   * 7 people is withheld by differencing, as in the trend).
   */
  async areas(id: string, level: SegmentAreaLevel, audience?: Audience): Promise<SegmentResult> {
    const { runs, latest } = await this.segment(id);
    const current = await this.currentMembers(id);
    const previousRun = runs[runs.length - 2];
    const [before] = previousRun
      ? await this.membersAfter(id.split('.')[0], [previousRun], id)
      : [null];
    const previousMembers = before ? [...(before.get(id) ?? [])] : null;
    const profiles = await this.profiles([...current, ...(previousMembers ?? [])]);
    const now = new Map(
      current.filter((p) => profiles.has(p)).map((p) => [p, profiles.get(p)!] as const),
    );
    const byArea = groupByArea(now, level);
    const byAreaBefore = previousMembers
      ? groupByArea(
          new Map(
            previousMembers
              .filter((p) => profiles.has(p))
              .map((p) => [p, profiles.get(p)!] as const),
          ),
          level,
        )
      : null;
    const names = [...new Set([...byArea.keys(), ...(byAreaBefore?.keys() ?? [])])].sort(
      compareAreas,
    );
    const cells: Record<string, Statistic> = {};
    const populations: Record<string, ReleasedPopulation> = {};
    for (const n of names) {
      const people = byArea.get(n) ?? [];
      const users = people.filter((p) => profiles.get(p)!.user);
      const others = people.filter((p) => !profiles.get(p)!.user);
      const base = `segment:${id}:${level}:${n}`;
      populations[`${n}/members`] = population(base, people);
      populations[`${n}/users`] = population(`${base}:life-rooms-users`, users);
      populations[`${n}/others`] = population(`${base}:non-users`, others);
      cells[`areas/${n}/users`] = { kind: 'count', value: users.length, population: `${n}/users` };
      cells[`areas/${n}/others`] = {
        kind: 'count',
        value: others.length,
        population: `${n}/others`,
      };
      cells[`areas/${n}/members`] = {
        kind: 'count',
        value: people.length,
        population: `${n}/members`,
      };
    }
    const all = [...now.keys()];
    populations.total = population(`segment:${id}`, all);
    populations.totalUsers = population(
      `segment:${id}:life-rooms-users`,
      all.filter((p) => profiles.get(p)!.user),
    );
    cells.totalMembers = { kind: 'count', value: all.length, population: 'total' };
    cells.totalUsers = {
      kind: 'count',
      value: all.filter((p) => profiles.get(p)!.user).length,
      population: 'totalUsers',
    };
    // The previous run's areas after the current ones: of two populations a few apart, the
    // later (previous) is withheld.
    if (byAreaBefore)
      for (const n of names) {
        const people = byAreaBefore.get(n) ?? [];
        populations[`previous/${n}`] = population(`segment:${id}:${level}:${n}`, people);
        cells[`areas/${n}/previous`] = {
          kind: 'count',
          value: people.length,
          population: `previous/${n}`,
        };
      }
    // Rows (users + non-users = members) and columns (members, users, non-users and the
    // previous run's members over the areas, each adding up to a published total).
    const lines = [
      ...names.map((n) => [`areas/${n}/users`, `areas/${n}/others`]),
      names.map((n) => `areas/${n}/members`),
      names.map((n) => `areas/${n}/users`),
      names.map((n) => `areas/${n}/others`),
      ...(byAreaBefore ? [names.map((n) => `areas/${n}/previous`)] : []),
    ];
    const gated = await this.publish(cells, lines, populations, audience);
    const areas = names.map((n) => {
      const members = gated.value(`areas/${n}/members`);
      return {
        area: n,
        members,
        lifeRoomsUsers: gated.value(`areas/${n}/users`),
        nonUsers: gated.value(`areas/${n}/others`),
        changeSincePreviousRun: byAreaBefore
          ? change(members, gated.value(`areas/${n}/previous`))
          : null,
      };
    });
    const suppressed = gated.result.suppressed;
    return {
      body: {
        id,
        level,
        previousRunId: previousRun?.run_id ?? null,
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
        change_since_previous_run: a.changeSincePreviousRun,
      })),
      cellsSuppressed: suppressed.length,
    };
  }

  /**
   * The segment's size at every run, as a whole and by area (`level`), with the change since the
   * run before. Members are rebuilt for each run from the change history, opted-out people left
   * out, and placed in the area they are registered in now (so a change is a change of
   * membership, not a move). Each run's areas are a line adding up to its size (secondary
   * suppression), each run's members in an area are a population in the ledger (the same area
   * a run later, a few people apart, is withheld: a change of 1 to 7 people is never shown), and
   * a change is the difference of two published sizes, null when either is withheld.
   */
  async trend(
    id: string,
    level: SegmentAreaLevel = 'local-authority',
    audience?: Audience,
  ): Promise<SegmentResult> {
    const { runs, latest } = await this.segment(id);
    const snapshots = await this.membersAfter(id.split('.')[0], runs, id);
    const profiles = await this.profiles(
      snapshots.flatMap((s) => (s ? [...(s.get(id) ?? [])] : [])),
    );
    const cells: Record<string, Statistic> = {};
    const populations: Record<string, ReleasedPopulation> = {};
    const lines: string[][] = [];
    const areaNames = new Set<string>();
    const byRun = snapshots.map((snapshot) => {
      if (!snapshot) return null;
      const members = new Map(
        [...(snapshot.get(id) ?? [])]
          .filter((p) => profiles.has(p))
          .map((p) => [p, profiles.get(p)!] as const),
      );
      const byArea = groupByArea(members, level);
      for (const n of byArea.keys()) areaNames.add(n);
      return { members: [...members.keys()], byArea };
    });
    const areas = [...areaNames].sort(compareAreas);
    byRun.forEach((run, i) => {
      if (!run) return;
      cells[`runs/${i}/size`] = { kind: 'count', value: run.members.length, population: `${i}` };
      populations[`${i}`] = population(`segment:${id}`, run.members);
      for (const n of areas) {
        const people = run.byArea.get(n) ?? [];
        cells[`areas/${n}/runs/${i}/members`] = {
          kind: 'count',
          value: people.length,
          population: `${i}/${n}`,
        };
        populations[`${i}/${n}`] = population(`segment:${id}:${level}:${n}`, people);
      }
      lines.push(areas.map((n) => `areas/${n}/runs/${i}/members`));
    });
    const gated = await this.publish(cells, lines, populations, audience);
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
    const byArea = areas.map((n) => ({
      area: n,
      runs: runs.map((run, i) => {
        const members = gated.value(`areas/${n}/runs/${i}/members`);
        return {
          runId: run.run_id,
          members,
          changeSincePreviousRun:
            i === 0 ? null : change(members, gated.value(`areas/${n}/runs/${i - 1}/members`)),
        };
      }),
    }));
    const suppressed = gated.result.suppressed;
    return {
      body: {
        id,
        level,
        runs: points,
        areas: byArea,
        suppressed: suppressed.map(publicSuppressed),
        cellsSuppressed: suppressed.length,
        provenance: this.provenance(latest),
      },
      rows: [
        // The first run has no previous one: not applicable (''), unlike a withheld change (null).
        ...points.map((p, i) => ({
          level: 'segment',
          area: 'all',
          run_id: p.runId,
          ruleset_version: p.rulesetVersion,
          as_of: p.asOf,
          size: p.size,
          change_since_previous_run: i === 0 ? '' : p.changeSincePreviousRun,
        })),
        ...byArea.flatMap((a) =>
          a.runs.map((r, i) => ({
            level,
            area: a.area,
            run_id: r.runId,
            ruleset_version: runs[i].ruleset_version,
            as_of: runs[i].as_of,
            size: r.members,
            change_since_previous_run: i === 0 ? '' : r.changeSincePreviousRun,
          })),
        ),
      ],
      cellsSuppressed: suppressed.length,
    };
  }
}

interface Profile {
  person_id: string;
  local_authority: string | null;
  postcode_district: string | null;
  postcode_sector: string | null;
  lsoa: string | null;
  imd_decile: string | null;
  user: boolean;
}

/** People by their area at one level (`unknown` when it is not known), areas in order. */
function groupByArea(
  profiles: ReadonlyMap<string, Profile>,
  level: SegmentAreaLevel,
): Map<string, string[]> {
  const column = AREA_COLUMN[level] as keyof Profile;
  const out = new Map<string, string[]>();
  for (const [person, profile] of profiles) {
    const value = profile[column];
    const area = value === null || value === undefined ? 'unknown' : String(value);
    const people = out.get(area) ?? [];
    people.push(person);
    out.set(area, people);
  }
  return new Map([...out].sort(([a], [b]) => compareAreas(a, b)));
}

/** Areas in order: numbers (IMD deciles) numerically, `unknown` last. */
function compareAreas(a: string, b: string): number {
  if (a === 'unknown' || b === 'unknown') return a === b ? 0 : a === 'unknown' ? 1 : -1;
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A withheld cell as users see it: where and by which rule, never the value. */
function publicSuppressed(c: SuppressedCell): { cell: string; rule: string } {
  return { cell: c.cell, rule: c.rule };
}
