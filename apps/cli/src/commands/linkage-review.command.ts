import { Command } from 'commander';
import { ValidationError } from '@linkage/common';
import { openDatabase } from '@linkage/database';
import { openEventStore } from '@linkage/event-store';
import { listReviewCandidates } from '../../../event-writer/src';
import {
  DecideCandidateLinkCommand,
  DecidePersonsCommand,
  openLinkageReviewCommandBus,
} from '../../../ingest/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { withActorOptions } from './actor-options';

export const REVIEW_LIST_ACTION = 'linkage.review.list';
export const REVIEW_DECIDE_ACTION = 'linkage.review.decide';
export const PERSONS_DECIDE_ACTION = 'linkage.persons.decide';

interface ActorOptions {
  token?: string;
  purpose?: string;
}

/**
 * `linkage review list | decide`: clerical review of candidate links (permission
 * `review:linkage`, role `linkage_officer`; audited). Pairs are shown by field-level similarity
 * and score, the record by its event id and the candidate by its pseudonym: never identifiers.
 */
export function registerLinkageReviewCommand(program: Command): void {
  const review = program
    .command('review')
    .description('clerical review of candidate record links (linkage officer)');
  withActorOptions(
    review
      .command('list')
      .description('candidate pairs waiting for review, best first')
      .option('--limit <n>', 'at most this many pairs', '50')
      .option('--json', 'one JSON object per line'),
  ).action(async (opts: ActorOptions & { limit: string; json?: boolean }) => {
    const actor = await resolveCliActor(opts);
    const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
    try {
      const governance = await openCliGovernance(db);
      await authorizeCli(actor, 'review:linkage', REVIEW_LIST_ACTION, {}, governance);
      const candidates = await listReviewCandidates(db, { limit: Number(opts.limit) || 50 });
      await auditCliRead(
        actor,
        REVIEW_LIST_ACTION,
        { limit: Number(opts.limit) || 50 },
        candidates.length,
        {
          governance,
        },
      );
      if (opts.json) {
        for (const c of candidates) process.stdout.write(`${JSON.stringify(c)}\n`);
        return;
      }
      const f = (x: number | null) => (x === null ? '  -  ' : x.toFixed(2));
      const lines = [
        'record                                candidate                         weight  given family  dob   postcode sex',
      ];
      for (const c of candidates) {
        const s = c.similarities;
        lines.push(
          `${c.recordEventId}  ${c.candidatePersonId}  ${c.weight.toFixed(1).padStart(6)}  ${f(s.givenName)}  ${f(s.familyName)}  ${f(s.dateOfBirth)}  ${f(s.postcode)}  ${f(s.sex)}`,
        );
      }
      lines.push(`${candidates.length} candidate pair(s)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await db.close();
    }
  });

  withActorOptions(
    review
      .command('decide <record> <candidate> <decision>')
      .description('accept or reject one candidate pair (decision: accept | reject)')
      .option('--json', 'print the result as JSON'),
  ).action(
    async (
      record: string,
      candidate: string,
      decision: string,
      opts: ActorOptions & { json?: boolean },
    ) => {
      if (decision !== 'accept' && decision !== 'reject')
        throw new ValidationError({ field: '/decision', reason: 'invalid_value' });
      const actor = await resolveCliActor(opts);
      const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
      const store = await openEventStore({ db });
      try {
        const governance = await openCliGovernance(db);
        const params = { record, candidate, decision };
        await authorizeCli(actor, 'review:linkage', REVIEW_DECIDE_ACTION, params, governance);
        const bus = await openLinkageReviewCommandBus({ db, store });
        const result = await bus.commands
          .execute(new DecideCandidateLinkCommand(record, candidate, decision, new Date()))
          .finally(() => bus.close());
        await auditCliRead(actor, REVIEW_DECIDE_ACTION, params, result.events, { governance });
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(result)}\n`
            : `${decision}: record ${record} is now ${result.status} (${result.events} decision event(s))\n`,
        );
      } finally {
        await store.close();
        await db.close();
      }
    },
  );

  for (const decision of ['merge', 'split'] as const) {
    withActorOptions(
      review
        .command(`${decision} <survivor> <merged>`)
        .description(
          decision === 'merge'
            ? 'merge two NHS-numbered persons (pseudonyms): the merged one counts as the survivor'
            : 'split a merge: the merged person counts as itself again',
        )
        .requiredOption(
          '--reason <reason>',
          decision === 'merge'
            ? 'nhs_number_correction | duplicate_registration'
            : 'nhs_number_correction | merged_in_error',
        )
        .option('--json', 'print the result as JSON'),
    ).action(
      async (
        survivor: string,
        merged: string,
        opts: ActorOptions & { reason: string; json?: boolean },
      ) => {
        const actor = await resolveCliActor(opts);
        const db = await openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
        const store = await openEventStore({ db });
        try {
          const governance = await openCliGovernance(db);
          const params = { survivor, merged, decision, reason: opts.reason };
          await authorizeCli(actor, 'review:linkage', PERSONS_DECIDE_ACTION, params, governance);
          const bus = await openLinkageReviewCommandBus({ db, store });
          const result = await bus.commands
            .execute(new DecidePersonsCommand(merged, decision, survivor, opts.reason, new Date()))
            .finally(() => bus.close());
          await auditCliRead(actor, PERSONS_DECIDE_ACTION, params, result.events, { governance });
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(result)}\n`
              : `${decision}: person ${merged} now counts as ${result.attributedTo} (${result.events} decision event(s))\n`,
          );
        } finally {
          await store.close();
          await db.close();
        }
      },
    );
  }
}
