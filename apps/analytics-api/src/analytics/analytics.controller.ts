import { BadRequestException, Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { PublishedResponse } from '@linkage/governance';
import {
  COHORT_BODY,
  OUTCOMES_BODY,
  EVENT_STUDY_BODY,
  BREAKDOWN_BODY,
  WELLBEING_BODY,
  BALANCE_BODY,
} from '../http/response-schemas';
import { RequiresPermission, type GovernedRequest } from '@linkage/governance';
import { answerPublished } from '../http/published-answer';
import { BreakdownParams, MeasureQuery, OutcomesQuery as OutcomesParams } from './analytics.dto';
import { QueryBus } from '@nestjs/cqrs';
import type { Audience, QueryResult } from './analytics.queries';
import { BalanceQuery } from './balance.query';
import { BreakdownQuery } from './breakdown.query';
import { CohortQuery } from './cohort.query';
import { EventStudyQuery } from './event-study.query';
import { OutcomesQuery } from './outcomes.query';
import { WellbeingQuery } from './wellbeing.query';

export { ANALYTICS_QUERIES } from './analytics-query-support';

/**
 * The analysts' API: thin. Validates parameters, executes the named query on the `QueryBus` (its
 * handler applies disclosure control), reports result size and suppressed cells to the audit, answers JSON or CSV.
 */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@ApiHeader({ name: 'Accept', required: false, description: '`text/csv` for CSV, JSON otherwise' })
@Controller('v1')
export class AnalyticsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('cohort')
  @RequiresPermission('read:outcomes', { action: 'read cohort' })
  @PublishedResponse('Cohort size, index dates by month and Life Rooms engagement', COHORT_BODY)
  async cohort(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.execute(new CohortQuery(audienceOf(req))));
  }

  @Get('outcomes')
  @RequiresPermission('read:outcomes', { action: 'read outcomes' })
  @PublishedResponse(
    'Users vs matched controls per person-year, DiD with a 95% interval over matched sets, and which diagnostics passed (balance, pre-trend, negative control)',
    OUTCOMES_BODY,
  )
  async outcomes(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query() query: OutcomesParams,
  ) {
    const before = query.before ?? 12;
    const result = await this.queries.execute(
      new OutcomesQuery(query.measure, {
        before,
        after: query.after ?? 12,
        washout: washoutWithin(query.washout, before),
        audience: audienceOf(req),
      }),
    );
    return this.answer(req, res, result);
  }

  @Get('outcomes/event-study')
  @RequiresPermission('read:outcomes', { action: 'read event study' })
  @PublishedResponse(
    'Monthly rates of users and matched controls, 24 months before to 24 after the index date',
    EVENT_STUDY_BODY,
  )
  async eventStudy(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query() query: MeasureQuery,
  ) {
    return this.answer(
      req,
      res,
      await this.queries.execute(new EventStudyQuery(query.measure, audienceOf(req))),
    );
  }

  @Get('breakdowns/:dimension')
  @RequiresPermission('read:outcomes', { action: 'read breakdown' })
  @PublishedResponse(
    'Cohort users by a fixed dimension, with the measure in the year after the index date',
    BREAKDOWN_BODY,
  )
  async breakdown(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param() params: BreakdownParams,
    @Query() query: MeasureQuery,
  ) {
    const result = await this.queries.execute(
      new BreakdownQuery(params.dimension, query.measure, 12, audienceOf(req)),
    );
    return this.answer(req, res, result);
  }

  @Get('wellbeing')
  @RequiresPermission('read:outcomes', { action: 'read wellbeing' })
  @PublishedResponse('SWEMWBS metric baseline, follow-up and change', WELLBEING_BODY)
  async wellbeing(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.execute(new WellbeingQuery(audienceOf(req))));
  }

  @Get('matching/balance')
  @RequiresPermission('read:outcomes', { action: 'read matching balance' })
  @PublishedResponse('Standardised mean differences before and after matching', BALANCE_BODY)
  async balance(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.execute(new BalanceQuery(audienceOf(req))));
  }

  private answer(
    req: GovernedRequest,
    res: Response,
    result: QueryResult<Record<string, unknown>>,
  ): unknown {
    return answerPublished(req, res, result);
  }
}

/** The washout must leave some baseline: fewer months than the window before the index date. */
function washoutWithin(washout: number | undefined, before: number): number {
  if (washout === undefined) return Math.min(3, before - 1);
  if (washout >= before) {
    throw new BadRequestException({
      error: 'validation_failed',
      reason: 'washout_out_of_range',
      field: '/washout',
      message: 'washout must be a whole number of months, less than before',
    });
  }
  return washout;
}

/** The caller's DSA and the output asked for: the answer is checked against and recorded in its ledger. */
export function audienceOf(req: GovernedRequest): Audience | undefined {
  const actor = req.governance?.actor;
  if (!actor) return undefined;
  return { dsa: actor.dsa, output: `${req.method} ${req.url ?? ''}` };
}
