import { randomUUID } from 'node:crypto';
import {
  AccessDeniedError,
  ConcurrencyError,
  NotFoundError,
  ValidationError,
} from '@linkage/common';
import type { Sql } from '@linkage/database';
import {
  decideRelease,
  evolveRelease,
  INITIAL_RELEASE_STATE,
  ReleaseRefusedError,
  type ReleaseActor,
  type ReleaseCommand,
  type ReleasedPopulation,
  type ReleaseEvent,
  type ReleaseState,
  type SuppressedCell,
} from '@linkage/domain';
import type { Actor } from '../access/roles';
import type { ReleasedCellLedger } from './released-cell-ledger.store';

const RELEASE_SCHEMA_LOCK_KEY = 7_301_102;

/** A gated output as the analytics queries produce it, ready to be requested for release. */
export interface ProducedOutput {
  body: Record<string, unknown>;
  csv: string;
  policyVersion: string;
  suppressed: readonly SuppressedCell[];
  /** Populations (member tags) the output released: recorded in the ledger on download. */
  released: readonly ReleasedPopulation[];
}

/** One release as listed and shown: never the member tags, always the gate's report. */
export interface ReleaseView {
  releaseId: string;
  status: 'requested' | 'approved' | 'rejected';
  output: string;
  parameters: Record<string, string | number>;
  requestedBy: string;
  dsa: string;
  justification: string;
  requestedAt: string;
  reviewedBy: string | null;
  reviewReason: string | null;
  reviewedAt: string | null;
  downloads: number;
  gateReport: { policyVersion: string; suppressed: readonly SuppressedCell[] };
}

/** The file an approved release is downloaded as. */
export interface ReleaseFile {
  release: ReleaseView;
  /** The gated answer (with its provenance) exactly as reviewed. */
  body: Record<string, unknown>;
  csv: string;
}

/**
 * Release review, event-sourced: one stream of release events per release in
 * `governance.release_event` (append only), decided by `decideRelease` (libs/domain). Refusals
 * come back as the error family: `AccessDeniedError` for the two-person rule and roles,
 * `NotFoundError`, `ValidationError` for a missing reason, `ConcurrencyError` for a state that
 * moved on (already reviewed, not approved).
 */
export class ReleaseReview {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly ledger: ReleasedCellLedger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  ensureSchema(): Promise<void> {
    this.ready ??= ensureReleaseSchema(this.sql);
    return this.ready;
  }

  /** An analyst asks for an output to leave the secure setting. Returns the new release. */
  async request(
    actor: Actor,
    ask: { output: string; parameters: Record<string, string | number>; justification: string },
    produced: ProducedOutput,
  ): Promise<ReleaseView> {
    await this.ensureSchema();
    const releaseId = randomUUID();
    await this.execute(
      releaseId,
      {
        type: 'RequestRelease',
        releaseId,
        requester: releaseActor(actor),
        justification: ask.justification ?? '',
        content: {
          output: ask.output,
          parameters: ask.parameters,
          body: produced.body,
          csv: produced.csv,
        },
        gateReport: { policyVersion: produced.policyVersion, suppressed: produced.suppressed },
        at: this.clock().toISOString(),
      },
      produced.released,
    );
    return this.get(releaseId);
  }

  /** An output checker (never the requester) approves or rejects, with a reason. */
  async review(
    actor: Actor,
    releaseId: string,
    decision: 'approve' | 'reject',
    reason: string,
  ): Promise<ReleaseView> {
    if (decision !== 'approve' && decision !== 'reject')
      throw new ValidationError({
        field: '/decision',
        reason: 'decision_must_be_approve_or_reject',
      });
    await this.execute(releaseId, {
      type: 'ReviewRelease',
      reviewer: releaseActor(actor),
      decision,
      reason: reason ?? '',
      at: this.clock().toISOString(),
    });
    return this.get(releaseId);
  }

  /**
   * The release file of an approved release: the download is recorded as an event and the
   * release's populations in the DSA's released-cell ledger.
   */
  async download(actor: Actor, releaseId: string): Promise<ReleaseFile> {
    await this.execute(releaseId, {
      type: 'DownloadRelease',
      by: releaseActor(actor),
      at: this.clock().toISOString(),
    });
    const { state } = await this.load(releaseId);
    if (state.status !== 'approved') throw new NotFoundError('release');
    const [row] = await this.sql<{ populations: ReleasedPopulation[] }[]>`
      select populations from governance.release_population where release_id = ${releaseId}`;
    await this.ledger.record(state.requester.dsa, {
      output: `release:${releaseId}`,
      via: 'release-file',
      policyVersion: state.gateReport.policyVersion,
      populations: row?.populations ?? [],
    });
    return { release: view(state), body: { ...state.content.body }, csv: state.content.csv };
  }

  async get(releaseId: string): Promise<ReleaseView> {
    const { state } = await this.load(releaseId);
    if (state.status === 'none') throw new NotFoundError('release');
    return view(state);
  }

  /** Releases, newest first; `dsa` limits to one DSA, `status` to one status. */
  async list(filter: { dsa?: string; status?: string } = {}): Promise<ReleaseView[]> {
    await this.ensureSchema();
    const rows = await this.sql<{ release_id: string; event: ReleaseEvent }[]>`
      select release_id, event from governance.release_event order by recorded_at, release_id, version`;
    const states = new Map<string, ReleaseState>();
    for (const r of rows)
      states.set(
        r.release_id,
        evolveRelease(states.get(r.release_id) ?? INITIAL_RELEASE_STATE, r.event),
      );
    return [...states.values()]
      .filter((s): s is Exclude<ReleaseState, { status: 'none' }> => s.status !== 'none')
      .map(view)
      .filter(
        (v) =>
          (!filter.dsa || v.dsa === filter.dsa) && (!filter.status || v.status === filter.status),
      )
      .reverse();
  }

  private async load(releaseId: string): Promise<{ state: ReleaseState; version: number }> {
    await this.ensureSchema();
    const rows = await this.sql<{ version: number; event: ReleaseEvent }[]>`
      select version, event from governance.release_event where release_id = ${releaseId}
      order by version`;
    return {
      state: rows.reduce((s, r) => evolveRelease(s, r.event), INITIAL_RELEASE_STATE),
      version: rows.length ? rows[rows.length - 1].version : 0,
    };
  }

  private async execute(
    releaseId: string,
    command: ReleaseCommand,
    populations?: readonly ReleasedPopulation[],
  ): Promise<void> {
    const { state, version } = await this.load(releaseId);
    let events: ReleaseEvent[];
    try {
      events = decideRelease(command, state);
    } catch (error) {
      throw error instanceof ReleaseRefusedError ? asLinkageError(releaseId, error) : error;
    }
    try {
      await this.sql.begin(async (tx) => {
        let next = version;
        for (const event of events) {
          next++;
          await tx`
            insert into governance.release_event (release_id, version, type, event, recorded_at)
            values (${releaseId}, ${next}, ${event.type}, ${tx.json(event as never)}, ${this.clock()})`;
        }
        if (populations) {
          await tx`
            insert into governance.release_population (release_id, populations)
            values (${releaseId}, ${tx.json(populations as never)})`;
        }
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new ConcurrencyError(`release-${releaseId}`, String(version), 'later');
      throw error;
    }
  }
}

function asLinkageError(releaseId: string, error: ReleaseRefusedError): Error {
  switch (error.reason) {
    case 'reviewer_is_requester':
    case 'reviewer_not_output_checker':
    case 'other_dsa':
      return new AccessDeniedError(error.reason);
    case 'release_not_found':
      return new NotFoundError('release');
    case 'release_already_reviewed':
    case 'release_not_approved':
    case 'release_exists':
      return new ConflictError(releaseId, error.reason);
    case 'reason_required':
      return new ValidationError({ field: '/reason', reason: error.reason });
    case 'justification_required':
      return new ValidationError({ field: '/justification', reason: error.reason });
  }
}

/** A release whose state does not allow the command (HTTP 409). */
export class ConflictError extends ConcurrencyError {
  constructor(
    releaseId: string,
    readonly reason: string,
  ) {
    super(`release-${releaseId}`, 'state', reason);
    (this.detail as { reason: string }).reason = reason;
  }
}

function releaseActor(actor: Actor): ReleaseActor {
  return { user: actor.user, role: actor.role, dsa: actor.dsa, purpose: actor.purpose };
}

function view(state: Exclude<ReleaseState, { status: 'none' }>): ReleaseView {
  const reviewed = state.status === 'requested' ? undefined : state;
  return {
    releaseId: state.releaseId,
    status: state.status,
    output: state.content.output,
    parameters: { ...state.content.parameters },
    requestedBy: state.requester.user,
    dsa: state.requester.dsa,
    justification: state.justification,
    requestedAt: state.requestedAt,
    reviewedBy: reviewed?.reviewer.user ?? null,
    reviewReason: reviewed?.reason ?? null,
    reviewedAt: reviewed?.reviewedAt ?? null,
    downloads: state.status === 'approved' ? state.downloads : 0,
    gateReport: {
      policyVersion: state.gateReport.policyVersion,
      suppressed: [...state.gateReport.suppressed],
    },
  };
}

/** The release tables: events (append only) and the populations each release would release. */
export async function ensureReleaseSchema(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${RELEASE_SCHEMA_LOCK_KEY})`;
    await tx.unsafe(`
      create schema if not exists governance;
      create table if not exists governance.release_event (
        release_id text not null,
        version integer not null,
        type text not null,
        event jsonb not null,
        recorded_at timestamptz not null,
        primary key (release_id, version)
      );
      create table if not exists governance.release_population (
        release_id text primary key,
        populations jsonb not null
      );
      create or replace function governance.refuse_release_event_change() returns trigger
      language plpgsql as $$
      begin
        raise exception 'governance.release_event is append-only: % refused', tg_op
          using errcode = 'insufficient_privilege';
      end $$;
      drop trigger if exists release_event_append_only on governance.release_event;
      create trigger release_event_append_only
        before update or delete on governance.release_event
        for each row execute function governance.refuse_release_event_change();
    `);
  });
}
