import { ValidationError } from '@linkage/common';
import { isOutcomeMeasure } from '@linkage/domain';
import type { ProducedOutput } from '@linkage/governance';
import { toCsv } from '../http/csv';
import type { QueryBus } from '@nestjs/cqrs';
import {
  BREAKDOWN_DIMENSIONS,
  isOnWindowGrid,
  type Audience,
  type BreakdownDimension,
  type QueryResult,
} from './analytics.queries';
import { BalanceQuery } from './balance.query';
import { BreakdownQuery } from './breakdown.query';
import { CohortQuery } from './cohort.query';
import { OutcomesQuery } from './outcomes.query';
import { WellbeingQuery } from './wellbeing.query';

/** The outputs an analyst can ask to release, by name (the analytics API's answers). */
export const RELEASABLE_OUTPUTS = [
  'cohort',
  'outcomes',
  'breakdown',
  'wellbeing',
  'balance',
] as const;
export type ReleasableOutput = (typeof RELEASABLE_OUTPUTS)[number];

/**
 * Produces an output for release review exactly as the analytics API answers it (the same
 * queries, the same gate, checked against and recorded in the DSA's ledger): the JSON body with
 * provenance and `suppressed`, the CSV, and the populations for the ledger. The output is asked
 * as its named query on the `QueryBus`.
 */
export async function produceReleaseOutput(
  queries: Pick<QueryBus, 'execute'>,
  output: string,
  parameters: Record<string, string | number>,
  audience: Audience,
): Promise<ProducedOutput> {
  const result = await run(queries, output, parameters, audience);
  return {
    body: result.body,
    csv: toCsv(result.rows),
    policyVersion: result.body.provenance.publishingPolicy.version,
    suppressed: result.suppressed,
    released: result.released,
  };
}

function run(
  queries: Pick<QueryBus, 'execute'>,
  output: string,
  p: Record<string, string | number>,
  audience: Audience,
): Promise<QueryResult<Record<string, unknown>>> {
  switch (output) {
    case 'cohort':
      return queries.execute(new CohortQuery(audience));
    case 'wellbeing':
      return queries.execute(new WellbeingQuery(audience));
    case 'balance':
      return queries.execute(new BalanceQuery(audience));
    case 'outcomes':
      return queries.execute(
        new OutcomesQuery(measure(p.measure), {
          before: months(p.before, 'before'),
          after: months(p.after, 'after'),
          audience,
        }),
      );
    case 'breakdown': {
      const dimension = String(p.dimension ?? '');
      if (!(BREAKDOWN_DIMENSIONS as readonly string[]).includes(dimension))
        throw new ValidationError({ field: '/parameters/dimension', reason: 'unknown_dimension' });
      return queries.execute(
        new BreakdownQuery(dimension as BreakdownDimension, measure(p.measure), 12, audience),
      );
    }
    default:
      throw new ValidationError({ field: '/output', reason: 'unknown_output' });
  }
}

function measure(value: unknown) {
  if (!isOutcomeMeasure(value))
    throw new ValidationError({
      field: '/parameters/measure',
      reason: 'unknown_measure',
    });
  return value;
}

function months(value: unknown, field: string): number {
  if (value === undefined || value === '') return 12;
  const n = Number(value);
  if (!isOnWindowGrid(n))
    throw new ValidationError({ field: `/parameters/${field}`, reason: 'window_not_on_grid' });
  return n;
}
