/**
 * Release review (output checking, as in OpenSAFELY's Airlock and trusted research
 * environments): an analyst requests release of an output already through the publishing gate;
 * an output checker, never the requester, approves or rejects it with a reason, seeing the
 * gate's report; only an approved output can be downloaded as a release file.
 *
 * An aggregate per release: `decideRelease(command, state) -> events`, `evolveRelease`.
 */
import type { SuppressedCell } from './publishing-gate';

/** The role that may review releases. */
export const OUTPUT_CHECKER_ROLE = 'output_checker';

export interface ReleaseActor {
  readonly user: string;
  readonly role: string;
  readonly dsa: string;
  readonly purpose: string;
}

/** What the checker sees of the gate's work: the policy version and what was withheld, and why. */
export interface GateReport {
  readonly policyVersion: string;
  readonly suppressed: readonly SuppressedCell[];
}

export interface ReleaseContent {
  /** The output asked for, e.g. `outcomes`, and its parameters. */
  readonly output: string;
  readonly parameters: Readonly<Record<string, string | number>>;
  /** The gated JSON answer (with provenance) and its CSV, exactly as the file will hold them. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly csv: string;
}

export type ReleaseEvent =
  | {
      readonly type: 'ReleaseRequested';
      readonly schemaVersion: 1;
      readonly data: {
        readonly releaseId: string;
        readonly requester: ReleaseActor;
        readonly justification: string;
        readonly content: ReleaseContent;
        readonly gateReport: GateReport;
        readonly requestedAt: string;
      };
    }
  | {
      readonly type: 'ReleaseApproved' | 'ReleaseRejected';
      readonly schemaVersion: 1;
      readonly data: {
        readonly releaseId: string;
        readonly reviewer: ReleaseActor;
        readonly reason: string;
        readonly reviewedAt: string;
      };
    }
  | {
      readonly type: 'ReleaseFileDownloaded';
      readonly schemaVersion: 1;
      readonly data: { readonly releaseId: string; readonly by: ReleaseActor; readonly at: string };
    };

export type ReleaseCommand =
  | {
      readonly type: 'RequestRelease';
      readonly releaseId: string;
      readonly requester: ReleaseActor;
      readonly justification: string;
      readonly content: ReleaseContent;
      readonly gateReport: GateReport;
      readonly at: string;
    }
  | {
      readonly type: 'ReviewRelease';
      readonly reviewer: ReleaseActor;
      readonly decision: 'approve' | 'reject';
      readonly reason: string;
      readonly at: string;
    }
  | { readonly type: 'DownloadRelease'; readonly by: ReleaseActor; readonly at: string };

interface Requested {
  readonly releaseId: string;
  readonly requester: ReleaseActor;
  readonly justification: string;
  readonly content: ReleaseContent;
  readonly gateReport: GateReport;
  readonly requestedAt: string;
}

interface Reviewed extends Requested {
  readonly reviewer: ReleaseActor;
  readonly reason: string;
  readonly reviewedAt: string;
}

export type ReleaseState =
  | { readonly status: 'none' }
  | ({ readonly status: 'requested' } & Requested)
  | ({ readonly status: 'approved'; readonly downloads: number } & Reviewed)
  | ({ readonly status: 'rejected' } & Reviewed);

export const INITIAL_RELEASE_STATE: ReleaseState = Object.freeze({ status: 'none' });

/** Why a release command was refused (stable reason codes). */
export type ReleaseRefusal =
  | 'release_exists'
  | 'release_not_found'
  | 'justification_required'
  | 'reason_required'
  | 'reviewer_not_output_checker'
  | 'reviewer_is_requester'
  | 'release_already_reviewed'
  | 'release_not_approved'
  | 'other_dsa';

export class ReleaseRefusedError extends Error {
  constructor(readonly reason: ReleaseRefusal) {
    super(`release refused: ${reason}`);
    this.name = 'ReleaseRefusedError';
  }
}

/** Decides a release command against the release's state. Throws `ReleaseRefusedError`. */
export function decideRelease(command: ReleaseCommand, state: ReleaseState): ReleaseEvent[] {
  const refuse = (reason: ReleaseRefusal): never => {
    throw new ReleaseRefusedError(reason);
  };
  switch (command.type) {
    case 'RequestRelease': {
      if (state.status !== 'none') refuse('release_exists');
      if (!command.justification.trim()) refuse('justification_required');
      return [
        {
          type: 'ReleaseRequested',
          schemaVersion: 1,
          data: {
            releaseId: command.releaseId,
            requester: command.requester,
            justification: command.justification.trim(),
            content: command.content,
            gateReport: command.gateReport,
            requestedAt: command.at,
          },
        },
      ];
    }
    case 'ReviewRelease': {
      if (state.status === 'none') return refuse('release_not_found');
      if (state.status !== 'requested') refuse('release_already_reviewed');
      if (command.reviewer.role !== OUTPUT_CHECKER_ROLE) refuse('reviewer_not_output_checker');
      // The two-person rule: whoever asked for a release never approves (or rejects) it.
      if (command.reviewer.user === state.requester.user) refuse('reviewer_is_requester');
      if (!command.reason.trim()) refuse('reason_required');
      return [
        {
          type: command.decision === 'approve' ? 'ReleaseApproved' : 'ReleaseRejected',
          schemaVersion: 1,
          data: {
            releaseId: state.releaseId,
            reviewer: command.reviewer,
            reason: command.reason.trim(),
            reviewedAt: command.at,
          },
        },
      ];
    }
    case 'DownloadRelease': {
      if (state.status === 'none') return refuse('release_not_found');
      if (state.status !== 'approved') refuse('release_not_approved');
      if (command.by.dsa !== state.requester.dsa) refuse('other_dsa');
      return [
        {
          type: 'ReleaseFileDownloaded',
          schemaVersion: 1,
          data: { releaseId: state.releaseId, by: command.by, at: command.at },
        },
      ];
    }
    default: {
      const never: never = command;
      throw new RangeError(`unknown command ${(never as { type: string }).type}`);
    }
  }
}

/** Folds one event into the release's state. */
export function evolveRelease(state: ReleaseState, event: ReleaseEvent): ReleaseState {
  switch (event.type) {
    case 'ReleaseRequested':
      return {
        status: 'requested',
        releaseId: event.data.releaseId,
        requester: event.data.requester,
        justification: event.data.justification,
        content: event.data.content,
        gateReport: event.data.gateReport,
        requestedAt: event.data.requestedAt,
      };
    case 'ReleaseApproved':
    case 'ReleaseRejected': {
      if (state.status !== 'requested') return state;
      const reviewed = {
        releaseId: state.releaseId,
        requester: state.requester,
        justification: state.justification,
        content: state.content,
        gateReport: state.gateReport,
        requestedAt: state.requestedAt,
        reviewer: event.data.reviewer,
        reason: event.data.reason,
        reviewedAt: event.data.reviewedAt,
      };
      return event.type === 'ReleaseApproved'
        ? { status: 'approved', downloads: 0, ...reviewed }
        : { status: 'rejected', ...reviewed };
    }
    case 'ReleaseFileDownloaded':
      return state.status === 'approved' ? { ...state, downloads: state.downloads + 1 } : state;
    default: {
      const never: never = event;
      throw new RangeError(`unknown event ${(never as { type: string }).type}`);
    }
  }
}
