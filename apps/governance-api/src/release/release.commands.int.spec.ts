import { openDatabase, type Database } from '@linkage/database';
import { ReleasedCellLedger, ReleaseReview, type Actor } from '@linkage/governance';
import { createFreshDatabase } from '@linkage/testing';
import { ensureReadModel } from '../../../projector/src';
import {
  openReleaseCommandBus,
  RequestReleaseCommand,
  ReviewReleaseCommand,
} from './release.commands';

const actor = (user: string, role: Actor['role']): Actor => ({
  user,
  role,
  purpose: 'evaluation',
  dsa: 'DSA-CMD',
  via: 'token',
});

/**
 * The release commands on the CommandBus the CLI opens (the governance API's handlers): a
 * request produces its output through the analytics QueryBus and the gate, recorded in the DSA's
 * ledger; a review keeps the two-person rule; a bad output is refused naming the field.
 */
describe('release commands on their own CommandBus (as the CLI runs them)', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let bus: Awaited<ReturnType<typeof openReleaseCommandBus>>;
  let ledger: ReleasedCellLedger;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_release_cmd');
    db = await openDatabase({ url: fresh.url, max: 4 });
    await ensureReadModel(db.sql);
    ledger = new ReleasedCellLedger(db.sql);
    bus = await openReleaseCommandBus(db.sql, new ReleaseReview(db.sql, ledger), ledger);
  }, 60_000);
  afterAll(async () => {
    await bus?.close();
    await db?.close();
    await fresh?.drop();
  });

  it('requests a release through the gate, refuses its own review, and takes a checker’s', async () => {
    const analyst = actor('ana', 'analyst');
    const { release, cellsSuppressed } = await bus.commands.execute(
      new RequestReleaseCommand(analyst, {
        output: 'cohort',
        parameters: {},
        justification: 'board report',
      }),
    );
    expect({ status: release.status, output: release.output, dsa: release.dsa }).toEqual({
      status: 'requested',
      output: 'cohort',
      dsa: 'DSA-CMD',
    });
    expect(cellsSuppressed).toBe(release.gateReport.suppressed.length);
    expect(release.gateReport.policyVersion).toEqual(expect.any(String));

    const own = await bus.commands
      .execute(new ReviewReleaseCommand(analyst, release.releaseId, 'approve', 'fine'))
      .then(
        () => 'approved',
        (error: unknown) => JSON.stringify(error) + String(error),
      );
    expect(own).toMatch(/reviewer_(not_output_checker|is_requester)/);

    const reviewed = await bus.commands.execute(
      new ReviewReleaseCommand(
        actor('olive', 'output_checker'),
        release.releaseId,
        'approve',
        'ok',
      ),
    );
    expect({ status: reviewed.status, reviewedBy: reviewed.reviewedBy }).toEqual({
      status: 'approved',
      reviewedBy: 'olive',
    });
  });

  it('refuses an unknown output naming the field, and records nothing for it', async () => {
    const before = (await new ReleaseReview(db.sql, ledger).list()).length;
    const refused = await bus.commands
      .execute(
        new RequestReleaseCommand(actor('ana', 'analyst'), {
          output: 'everything',
          parameters: {},
          justification: 'x',
        }),
      )
      .then(
        () => undefined,
        (error: {
          field?: string;
          reason?: string;
          detail?: { field?: string; reason?: string };
        }) => error.detail ?? { field: error.field, reason: error.reason },
      );
    expect(refused).toMatchObject({ field: '/output', reason: 'unknown_output' });
    expect(await new ReleaseReview(db.sql, ledger).list()).toHaveLength(before);
  });
});
