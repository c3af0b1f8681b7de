import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '@linkage/common';
import { openDatabase, type Database, type Sql } from '@linkage/database';
import { openEventStore, type EventStore } from '@linkage/event-store';
import { ReleasedCellLedger } from '@linkage/governance';
import { createProgress } from '@linkage/observability';
import { loadRuleset, SHIPPED_RULESETS } from '@linkage/segmentation';
import { runSegmentation, type SegmentationRunSummary } from '../../../projector/src';
import { AnalyticsQueries, SegmentQueries, SEGMENT_AREA_LEVELS } from '../../../analytics-api/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { PURPOSE_OPTION_HELP, TOKEN_OPTION_HELP } from './actor-options';

interface CommonOptions {
  json?: boolean;
  token?: string;
  purpose?: string;
}

const isoDay = (value: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return value;
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withAuth(cmd: Command): Command {
  return cmd
    .option('--token <jwt>', TOKEN_OPTION_HELP)
    .option('--purpose <purpose>', PURPOSE_OPTION_HELP)
    .option('--json', 'print JSON');
}

async function openDb(): Promise<Database> {
  return openDatabase(process.env.DATABASE_URL ? {} : { max: 1 });
}

/** Runs rulesets and prints the sizes (raw counts stay inside: the printed sizes are controlled by `segment list`). */
export async function runSegmentsCli(
  db: Database,
  rulesets: string[],
  asOf: string,
  actorName: string,
  options: { progress?: boolean; store?: EventStore } = {},
): Promise<SegmentationRunSummary[]> {
  const loaded = rulesets.map(loadRuleset); // refuse a malformed ruleset before any work
  const store = options.store ?? (await openEventStore({ db }));
  const log = createLogger('segmentation');
  try {
    const out: SegmentationRunSummary[] = [];
    for (const ruleset of loaded) {
      const progress = createProgress({
        task: `segment ${ruleset.id}`,
        unit: 'persons',
        mode: options.progress === false ? 'off' : undefined,
      });
      try {
        out.push(
          await runSegmentation({
            sql: db.sql,
            store,
            ruleset,
            asOf,
            actor: actorName,
            logger: log,
            onProgress: (done, total) => {
              progress.setTotal(total);
              progress.update(done);
            },
          }),
        );
      } finally {
        progress.stop();
      }
    }
    return out;
  } finally {
    if (!options.store) await store.close();
  }
}

/**
 * `linkage segment run|list|show`: run rulesets over the read models (recording membership
 * changes as events) and read the disclosure-controlled segment reports, audited like the API.
 */
export function registerSegmentCommand(program: Command): void {
  const segment = program
    .command('segment')
    .description('population segments: run rulesets, list segments, show one segment');

  withAuth(
    segment
      .command('run')
      .description('evaluate rulesets as of a date and record membership changes')
      .option(
        '--ruleset <name|file>',
        `a shipped ruleset (${SHIPPED_RULESETS.join(', ')}) or a JSON file; repeatable (default: all shipped)`,
        collect,
      )
      .option('--as-of <yyyy-mm-dd>', 'evaluate as of this date (default: today)', isoDay),
  ).action(async (opts: CommonOptions & { ruleset?: string[]; asOf?: string }) => {
    const rulesets = opts.ruleset ?? [...SHIPPED_RULESETS];
    rulesets.forEach(loadRuleset);
    const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
    const db = await openDb();
    const governance = await openCliGovernance(db);
    try {
      const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
      const params = { rulesets: rulesets.join(','), asOf };
      await authorizeCli(actor, 'read:segments', 'segment.run', params, governance);
      const summaries = await runSegmentsCli(db, rulesets, asOf, actor.user);
      for (const s of summaries) {
        await auditCliRead(
          actor,
          'segment.run',
          {
            ruleset: s.rulesetId,
            version: s.rulesetVersion,
            runId: s.runId,
            asOf,
            assigned: s.assigned,
            removed: s.removed,
          },
          s.persons,
          { governance },
        );
      }
      const queries = segmentQueries(db.sql);
      const lists = [];
      for (const s of summaries)
        lists.push(
          (
            await queries.list(s.rulesetId, {
              dsa: actor.dsa,
              output: `linkage segment run --ruleset ${s.rulesetId}`,
            })
          ).body,
        );
      if (opts.json) {
        const runs = summaries.map(({ sizes: _raw, ...rest }) => rest);
        process.stdout.write(`${JSON.stringify({ runs, segments: lists })}\n`);
        return;
      }
      for (const [i, s] of summaries.entries()) {
        process.stdout.write(
          `${s.rulesetId} ${s.rulesetVersion} as of ${s.asOf}: run ${s.runId}, ${s.persons} persons, ` +
            `${s.assigned} assigned, ${s.removed} removed in ${s.durationMs} ms\n`,
        );
        printSegments(lists[i].segments as SegmentLine[]);
      }
    } finally {
      await governance.close();
      await db.close();
    }
  });

  withAuth(
    segment
      .command('list')
      .description('every segment with its size at the latest run (disclosure-controlled)')
      .option('--ruleset <name>', 'one ruleset only'),
  ).action(async (opts: CommonOptions & { ruleset?: string }) => {
    const db = await openDb();
    const governance = await openCliGovernance(db);
    try {
      const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
      const params: Record<string, string> = opts.ruleset ? { ruleset: opts.ruleset } : {};
      await authorizeCli(actor, 'read:segments', 'read segments', params, governance);
      const result = await segmentQueries(db.sql).list(opts.ruleset, {
        dsa: actor.dsa,
        output: `linkage segment list${opts.ruleset ? ` --ruleset ${opts.ruleset}` : ''}`,
      });
      await auditCliRead(actor, 'read segments', params, result.rows.length, {
        cellsSuppressed: result.cellsSuppressed,
        governance,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result.body)}\n`);
      else printSegments(result.body.segments as SegmentLine[]);
    } finally {
      await governance.close();
      await db.close();
    }
  });

  withAuth(
    segment
      .command('show <id>')
      .description('one segment: size, Life Rooms lens, and its areas or trend')
      .option('--areas <level>', `members by area: ${SEGMENT_AREA_LEVELS.join(', ')}`)
      .option(
        '--trend',
        'size at every run and the change since the run before (by area with --areas <level>)',
      ),
  ).action(async (id: string, opts: CommonOptions & { areas?: string; trend?: boolean }) => {
    if (opts.areas && !(SEGMENT_AREA_LEVELS as readonly string[]).includes(opts.areas))
      throw new InvalidArgumentError(`--areas must be one of ${SEGMENT_AREA_LEVELS.join(', ')}`);
    const db = await openDb();
    const governance = await openCliGovernance(db);
    try {
      const actor = await resolveCliActor({ token: opts.token, purpose: opts.purpose });
      const action = opts.trend
        ? 'read segment trend'
        : opts.areas
          ? 'read segment areas'
          : 'read segment';
      const params = { id, ...(opts.areas ? { level: opts.areas } : {}) };
      await authorizeCli(actor, 'read:segments', action, params, governance);
      const queries = segmentQueries(db.sql);
      const audience = {
        dsa: actor.dsa,
        output: `linkage segment show ${id}${opts.areas ? ` --areas ${opts.areas}` : ''}${opts.trend ? ' --trend' : ''}`,
      };
      const level = opts.areas as (typeof SEGMENT_AREA_LEVELS)[number] | undefined;
      // --trend with --areas LEVEL: the trend by area at that level.
      const result = opts.trend
        ? await queries.trend(id, level, audience)
        : level
          ? await queries.areas(id, level, audience)
          : await queries.show(id, undefined, audience);
      await auditCliRead(actor, action, params, result.rows.length, {
        cellsSuppressed: result.cellsSuppressed,
        governance,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result.body)}\n`);
      else
        for (const row of result.rows)
          process.stdout.write(
            Object.entries(row)
              .map(([k, v]) => `${k}=${v ?? (k.startsWith('change') ? 'n/a' : 'suppressed')}`)
              .join('  ') + '\n',
          );
    } finally {
      await governance.close();
      await db.close();
    }
  });
}

/** Segment reports through the gate and the released-cell ledger (as the API answers them). */
function segmentQueries(sql: Sql): SegmentQueries {
  return new SegmentQueries(
    sql,
    new AnalyticsQueries(sql, undefined, undefined, new ReleasedCellLedger(sql)),
  );
}

interface SegmentLine {
  id: string;
  name: string;
  parent: string | null;
  size: number | null;
  changeSincePreviousRun: number | null;
}

function printSegments(segments: SegmentLine[]): void {
  for (const s of segments) {
    const size = s.size === null ? 'suppressed' : String(s.size);
    const change =
      s.changeSincePreviousRun === null
        ? ''
        : ` (${s.changeSincePreviousRun >= 0 ? '+' : ''}${s.changeSincePreviousRun})`;
    process.stdout.write(
      `  ${s.parent ? '  ' : ''}${s.id.padEnd(s.parent ? 58 : 60)} ${size.padStart(8)}${change}\n`,
    );
  }
}

/** A segment size as the API publishes it (gated). */
export interface PublishedSegment {
  id: string;
  parent: string | null;
  size: number | null;
}

/** The published sizes of every shipped segment, read through the analytics API (gated, audited). */
export async function publishedSegments(url: string, token: string): Promise<PublishedSegment[]> {
  const response = await fetch(`${url}/v1/segments`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) return [];
  const body = (await response.json()) as { segments: PublishedSegment[] };
  return body.segments.map(({ id, parent, size }) => ({ id, parent, size }));
}
