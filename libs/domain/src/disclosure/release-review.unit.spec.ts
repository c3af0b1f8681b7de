import {
  decideRelease,
  evolveRelease,
  INITIAL_RELEASE_STATE,
  ReleaseRefusedError,
  type ReleaseActor,
  type ReleaseCommand,
  type ReleaseEvent,
  type ReleaseState,
} from './release-review';

const ana: ReleaseActor = { user: 'ana', role: 'analyst', dsa: 'DSA-1', purpose: 'evaluation' };
const olu: ReleaseActor = {
  user: 'olu',
  role: 'output_checker',
  dsa: 'DSA-1',
  purpose: 'evaluation',
};
const at = '2026-01-01T10:00:00.000Z';

const request: ReleaseCommand = {
  type: 'RequestRelease',
  releaseId: 'r1',
  requester: ana,
  justification: 'report to the trust board',
  content: { output: 'cohort', parameters: {}, body: { size: 100 }, csv: 'size\n100\n' },
  gateReport: { policyVersion: 'publishing-policy/1', suppressed: [] },
  at,
};
const review = (
  reviewer: ReleaseActor,
  decision: 'approve' | 'reject',
  reason = 'checked',
): ReleaseCommand => ({
  type: 'ReviewRelease',
  reviewer,
  decision,
  reason,
  at,
});
const download = (by: ReleaseActor): ReleaseCommand => ({ type: 'DownloadRelease', by, at });

const given = (...commands: ReleaseCommand[]): ReleaseState =>
  commands.reduce<ReleaseState>(
    (state, command) => decideRelease(command, state).reduce(evolveRelease, state),
    INITIAL_RELEASE_STATE,
  );

const refusal = (command: ReleaseCommand, state: ReleaseState) => {
  try {
    decideRelease(command, state);
  } catch (error) {
    expect(error).toBeInstanceOf(ReleaseRefusedError);
    return (error as ReleaseRefusedError).reason;
  }
  throw new Error('expected a refusal');
};

describe('release review', () => {
  describe('given no release', () => {
    it('a request records ReleaseRequested with the gate report', () => {
      const [event] = decideRelease(request, INITIAL_RELEASE_STATE) as ReleaseEvent[];
      expect(event).toMatchObject({
        type: 'ReleaseRequested',
        data: {
          releaseId: 'r1',
          requester: ana,
          gateReport: { policyVersion: 'publishing-policy/1' },
        },
      });
    });
    it('refuses a request without justification', () => {
      expect(
        refusal({ ...request, justification: '  ' } as ReleaseCommand, INITIAL_RELEASE_STATE),
      ).toBe('justification_required');
    });
    it('refuses review and download of an unknown release', () => {
      expect(refusal(review(olu, 'approve'), INITIAL_RELEASE_STATE)).toBe('release_not_found');
      expect(refusal(download(ana), INITIAL_RELEASE_STATE)).toBe('release_not_found');
    });
  });

  describe('given a requested release', () => {
    const state = given(request);
    it('an output checker approves it with a reason', () => {
      expect(decideRelease(review(olu, 'approve'), state)).toEqual([
        {
          type: 'ReleaseApproved',
          schemaVersion: 1,
          data: { releaseId: 'r1', reviewer: olu, reason: 'checked', reviewedAt: at },
        },
      ]);
    });
    it('an output checker rejects it with a reason', () => {
      expect(decideRelease(review(olu, 'reject', 'too small'), state)[0].type).toBe(
        'ReleaseRejected',
      );
    });
    it('two-person rule: the requester cannot review their own release, even as output checker', () => {
      expect(refusal(review({ ...ana, role: 'output_checker' }, 'approve'), state)).toBe(
        'reviewer_is_requester',
      );
    });
    it('refuses a reviewer who is not an output checker', () => {
      expect(refusal(review({ ...olu, role: 'analyst' }, 'approve'), state)).toBe(
        'reviewer_not_output_checker',
      );
      expect(refusal(review({ ...olu, role: 'admin' }, 'approve'), state)).toBe(
        'reviewer_not_output_checker',
      );
    });
    it('refuses a review without a reason', () => {
      expect(refusal(review(olu, 'approve', ' '), state)).toBe('reason_required');
    });
    it('refuses a download before approval', () => {
      expect(refusal(download(ana), state)).toBe('release_not_approved');
    });
    it('refuses a second request with the same id', () => {
      expect(refusal(request, state)).toBe('release_exists');
    });
  });

  describe('given an approved release', () => {
    const state = given(request, review(olu, 'approve'));
    it('the requester (or anyone under its DSA) downloads it; downloads are counted', () => {
      expect(decideRelease(download(ana), state)[0].type).toBe('ReleaseFileDownloaded');
      expect(given(request, review(olu, 'approve'), download(ana), download(ana))).toMatchObject({
        status: 'approved',
        downloads: 2,
      });
    });
    it('refuses a download under another DSA', () => {
      expect(refusal(download({ ...ana, dsa: 'DSA-2' }), state)).toBe('other_dsa');
    });
    it('refuses a second review', () => {
      expect(refusal(review(olu, 'reject'), state)).toBe('release_already_reviewed');
    });
  });

  describe('given a rejected release', () => {
    const state = given(request, review(olu, 'reject', 'cells too small'));
    it('refuses the download', () => {
      expect(refusal(download(ana), state)).toBe('release_not_approved');
    });
    it('keeps the reviewer and reason', () => {
      expect(state).toMatchObject({ status: 'rejected', reviewer: olu, reason: 'cells too small' });
    });
  });
});
