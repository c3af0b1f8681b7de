import { SharedRead } from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  DEFAULT_EVALUATION_DESIGN,
  EMPTY_RELEASE_LEDGER,
  parsePublishingPolicy,
  publishingPolicy,
  type DisclosurePolicy,
  type EvaluationDesign,
  type GateRequest,
  type GateResult,
  type MonthWindow,
  type OutcomeMeasure,
  type PublishingPolicy,
  type ReleasedPopulation,
  type ReleaseLedgerState,
  type SuppressedCell,
} from '@linkage/domain';
import type { Publication } from './analytics.publications';
import type { BreakdownDimension } from './analytics-query-support';
import { BalanceQuery, BalanceQueryHandler } from './balance.query';
import { BreakdownQuery, BreakdownQueryHandler } from './breakdown.query';
import { CohortQuery, CohortQueryHandler } from './cohort.query';
import { EventStudyQuery, EventStudyQueryHandler } from './event-study.query';
import { OutcomesQuery, OutcomesQueryHandler } from './outcomes.query';
import { readModelVersion, ReadModelVersionCache } from './read-model-version-cache';
import { GateMemo, holdsAll } from './gate-memo';
import { AnswerMemo } from './answer-memo';
import { WellbeingQuery, WellbeingQueryHandler } from './wellbeing.query';

export {
  ANALYTICS_QUERIES,
  BREAKDOWN_DIMENSIONS,
  isOnWindowGrid,
  OUTCOME_WINDOW_GRID_MONTHS,
  OUTCOME_WINDOW_MAX_MONTHS,
  WELLBEING_MEANINGFUL_CHANGE,
  type BreakdownDimension,
} from './analytics-query-support';

/** Where a published number comes from: same provenance and data, same numbers. */
export interface Provenance {
  eventStorePosition: string;
  matching: {
    method: string;
    k: number;
    seed: number;
    exact: string[];
    caliperSdOfLogit: number;
    /** Pre-index windows (months) whose outcome rates form the matched trajectory. */
    trajectoryWindows: readonly MonthWindow[];
    trajectoryMeasures: readonly string[];
    matchedAtPosition: string | null;
  };
  unitCostVersion: string | null;
  /** The publishing gate's policy, with the version every number was gated by. */
  publishingPolicy: PublishingPolicy;
  /** The count rules of that policy (kept for older clients). */
  disclosurePolicy: DisclosurePolicy;
}

/** Who an answer is for: the DSA whose released-cell ledger it is checked against and recorded in. */
export interface Audience {
  dsa: string;
  /** The output, e.g. `GET /v1/outcomes?measure=ae` (recorded in the ledger). */
  output: string;
}

/** A release for the ledger: what output gave which populations to a DSA. */
export interface ReleaseToRecord {
  output: string;
  via: 'query' | 'release-file';
  policyVersion: string;
  populations: readonly ReleasedPopulation[];
}

/** The released-cell ledger as the queries use it (libs/governance `ReleasedCellLedger`). */
export interface ReleaseLedgerPort {
  load(dsa: string): Promise<ReleaseLedgerState>;
  record(dsa: string, release: ReleaseToRecord): Promise<number>;
  /**
   * Runs `decide` against the DSA's ledger read afresh and records its release, as one step for
   * that DSA in every process on the database (no other request of the DSA checks or records
   * in between).
   */
  checkAndRecord<T>(
    dsa: string,
    decide: (state: ReleaseLedgerState) => { result: T; release: ReleaseToRecord },
  ): Promise<{ result: T; recorded: number }>;
}

/**
 * Told of every gated publication: what was gated, for whom, and whether the DSA's released-cell
 * ledger was checked. The endpoint walk (test/adversarial) uses it to prove that every number a
 * route answers came out of the gate; nothing in the service needs it.
 */
export type PublicationListener = (event: {
  audience: Audience | undefined;
  result: GateResult;
  ledgerChecked: boolean;
}) => void;

/** A query result: the JSON body, its CSV rows, and what the audit entry records. */
export interface QueryResult<B> {
  body: B & {
    provenance: Provenance;
    cellsSuppressed: number;
    suppressed: readonly SuppressedCell[];
  };
  rows: Array<Record<string, string | number | null>>;
  cellsSuppressed: number;
  /** Which cells the gate withheld and by which rule (never their values). */
  suppressed: readonly SuppressedCell[];
  /** The populations this answer released (for the ledger of a release file). */
  released: readonly ReleasedPopulation[];
}

/** The publishing policy from configuration: `LINKAGE_PUBLISHING_POLICY` (JSON) or the default. */
export function configuredPublishingPolicy(env: NodeJS.ProcessEnv = process.env): PublishingPolicy {
  return parsePublishingPolicy(env.LINKAGE_PUBLISHING_POLICY);
}

/**
 * The analysts' questions, answered from the read models with disclosure control applied to
 * every number before it is returned. Nothing person-level is ever returned; people who opted
 * out (National Data Opt-out, current status) are left out of every query.
 *
 * Each question is a named query with its own handler (`cohort.query.ts`, `outcomes.query.ts`,
 * ...), executed through the `QueryBus` by the APIs and the CLI (`analytics-query-bus.ts`).
 * This class is what the handlers share: the read models, the publishing gate with the
 * released-cell ledger (per request), provenance and the read-model-version cache. Its
 * `cohort()`, `outcomes()`, ... run the same handlers directly, for callers without a bus
 * (segment reports, tests).
 */
export class AnalyticsQueries {
  private readonly policy: PublishingPolicy;
  private readonly listeners: PublicationListener[] = [];
  /** Computations before the gate, once per read-model version (read-model-version-cache.ts). */
  private readonly computed: ReadModelVersionCache | undefined;
  /** The gate's decisions per request and ledger state (gate-memo.ts). */
  private readonly gates: GateMemo;
  /** Formatted answers per gate decision (answer-memo.ts); none when computations are not cached. */
  private readonly answers: AnswerMemo<QueryResult<Record<string, unknown>>> | undefined;
  /** Concurrent askers share one version read (never one begun before they asked). */
  private readonly versions = new SharedRead(() => readModelVersion(this.sql, this.schema));

  /**
   * `policy`: the publishing policy (or, for older callers, count rules only); `ledger`: the
   * released-cell ledger checked and written when a query names its audience.
   */
  constructor(
    readonly sql: Sql,
    policy: PublishingPolicy | DisclosurePolicy = configuredPublishingPolicy(),
    readonly schema = 'read_model',
    private readonly ledger?: ReleaseLedgerPort,
    /** `cacheComputations: false` computes every answer afresh (the path the cache is tested against). */
    options: { cacheComputations?: boolean } = {},
  ) {
    this.computed = options.cacheComputations === false ? undefined : new ReadModelVersionCache();
    this.answers = this.computed ? new AnswerMemo() : undefined;
    this.policy =
      'version' in policy
        ? policy
        : publishingPolicy({
            countThreshold: policy.threshold,
            countRounding: policy.rounding,
            ...(policy.threshold === 0 ? { minimumGroupSize: 1 } : {}),
          });
    this.gates = new GateMemo(this.policy);
  }

  private get s() {
    return this.sql(this.schema);
  }

  async provenance(): Promise<Provenance> {
    const s = this.s;
    const [checkpoint] = await this.sql<{ position: string }[]>`
      select position from ${s}.checkpoint where projection = 'read-models'`;
    const [meta] = await this.sql<{ value: string }[]>`
      select value from ${s}.meta where key = 'unit_cost_version'`;
    const [run] = await this.sql<{ settings: EvaluationDesign; event_store_position: string }[]>`
      select settings, event_store_position from ${s}.matching_run where id = 1`;
    const m = (run?.settings?.matching ? run.settings : DEFAULT_EVALUATION_DESIGN).matching;
    return {
      eventStorePosition: checkpoint?.position ?? '',
      matching: {
        method:
          'propensity score (age, sex, IMD decile at the index date, pre-index trajectory), nearest neighbours on its logit, with replacement',
        k: m.k,
        seed: m.seed,
        exact: ['sex'],
        caliperSdOfLogit: m.caliper,
        trajectoryWindows: m.windows,
        trajectoryMeasures: m.families,
        matchedAtPosition: run?.event_store_position ?? null,
      },
      unitCostVersion: meta?.value ?? null,
      publishingPolicy: this.policy,
      disclosurePolicy: {
        threshold: this.policy.countThreshold,
        rounding: this.policy.countRounding,
      },
    };
  }

  /** The publishing policy every answer of these queries is gated by. */
  get publishingPolicy(): PublishingPolicy {
    return this.policy;
  }

  /** Adds a listener told of every gated publication (see `PublicationListener`). */
  observe(listener: PublicationListener): void {
    this.listeners.push(listener);
  }

  /**
   * The one way a number leaves these queries (and the area and segment queries, which use it):
   * loads what the DSA was given before from the released-cell ledger, applies the publishing
   * gate, and records the populations released. Without an audience (CLI, tests) no ledger is
   * checked or written.
   */
  async gate(request: GateRequest, audience: Audience | undefined): Promise<GateResult> {
    const ledgerChecked = Boolean(audience && this.ledger);
    const ledgerState =
      audience && this.ledger ? await this.ledger.load(audience.dsa) : EMPTY_RELEASE_LEDGER;
    let gated = this.gates.apply(request, ledgerState);
    // Something new for this DSA: decided again against the ledger read under the DSA's lock and
    // recorded before the lock is let go, so that two requests at once (the whole and a lens a
    // few people short) are not both checked against the state before either was recorded. The
    // usual repeat (the DSA holds all it releases, and the ledger only grows) needs no lock.
    if (audience && this.ledger && !holdsAll(ledgerState, gated.released)) {
      ({ result: gated } = await this.ledger.checkAndRecord(audience.dsa, (held) => {
        const decided = this.gates.apply(request, held);
        return {
          result: decided,
          release: {
            output: audience.output,
            via: 'query',
            policyVersion: decided.policyVersion,
            populations: decided.released,
          },
        };
      }));
    }
    for (const listener of this.listeners) listener({ audience, result: gated, ledgerChecked });
    return gated;
  }

  /**
   * Gates a publication for its audience (`gate`) and formats the answer with the gate's
   * `suppressed` list and the policy version.
   */
  async publish(
    publication: Publication,
    audience: Audience | undefined,
    version?: string,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const provenance = await this.once(version, 'provenance', () => this.provenance());
    const gated = await this.gate(publication.request, audience);
    // Remembered (frozen, shared) only when the publication itself is: computed once per version.
    return version === undefined || !this.answers
      ? formatAnswer(publication, gated, provenance)
      : this.answers.get(gated, provenance, () => formatAnswer(publication, gated, provenance));
  }

  /** The read models' version when computations are cached; undefined when they are not. */
  async version(): Promise<string | undefined> {
    return this.computed ? this.versions.get() : undefined;
  }

  /** `compute()`, or its result from earlier at the same read-model version. */
  once<T>(version: string | undefined, key: string, compute: () => Promise<T>): Promise<T> {
    return version === undefined || !this.computed
      ? compute()
      : this.computed.get(version, key, compute);
  }

  /** Computes a publication once per read-model version, and gates it for every asker. */
  async publishOnce(
    key: string,
    audience: Audience | undefined,
    compute: () => Promise<Publication>,
  ): Promise<QueryResult<Record<string, unknown>>> {
    const version = await this.version();
    return this.publish(await this.once(version, key, compute), audience, version);
  }

  /** Cohort size, index dates by month and Life Rooms engagement (`CohortQuery`). */
  cohort(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return new CohortQueryHandler(this).execute(new CohortQuery(audience));
  }

  /** Users vs matched controls for one measure (`OutcomesQuery`). */
  outcomes(
    measure: OutcomeMeasure,
    before = 12,
    after = 12,
    audience?: Audience,
    washout = 3,
    /** Only these users (and their matched controls): a segment's Life Rooms lens. */
    usersAmong?: readonly string[],
  ): Promise<QueryResult<Record<string, unknown>>> {
    return new OutcomesQueryHandler(this).execute(
      new OutcomesQuery(measure, { before, after, washout, audience, usersAmong }),
    );
  }

  /** Monthly rates of users and matched controls around the index date (`EventStudyQuery`). */
  eventStudy(
    measure: OutcomeMeasure,
    audience?: Audience,
  ): Promise<QueryResult<Record<string, unknown>>> {
    return new EventStudyQueryHandler(this).execute(new EventStudyQuery(measure, audience));
  }

  /** Cohort users by one fixed dimension, with the measure's rate after the index date (`BreakdownQuery`). */
  breakdown(
    dimension: BreakdownDimension,
    measure: OutcomeMeasure,
    after = 12,
    audience?: Audience,
  ): Promise<QueryResult<Record<string, unknown>>> {
    return new BreakdownQueryHandler(this).execute(
      new BreakdownQuery(dimension, measure, after, audience),
    );
  }

  /** SWEMWBS metric baseline, follow-up and change (`WellbeingQuery`). */
  wellbeing(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return new WellbeingQueryHandler(this).execute(new WellbeingQuery(audience));
  }

  /** SMDs before and after matching (`BalanceQuery`). */
  balance(audience?: Audience): Promise<QueryResult<Record<string, unknown>>> {
    return new BalanceQueryHandler(this).execute(new BalanceQuery(audience));
  }
}

/** The answer to one request: the publication formatted with the gate's decisions. */
function formatAnswer(
  publication: Publication,
  gated: GateResult,
  provenance: Provenance,
): QueryResult<Record<string, unknown>> {
  const { body, rows } = publication.format(gated);
  const cellsSuppressed = gated.suppressed.length;
  const formatted = { ...body, suppressed: gated.suppressed, cellsSuppressed, provenance };
  return {
    body: { ...formatted, ...publication.annex?.(formatted) },
    rows,
    cellsSuppressed,
    suppressed: gated.suppressed,
    released: gated.released,
  };
}
