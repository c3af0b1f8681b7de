import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
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
import { isOutcomeMeasure, OUTCOME_MEASURES, type OutcomeMeasure } from '@linkage/domain';
import { RequiresPermission, type GovernedRequest } from '@linkage/governance';
import { answerPublished } from '../http/published-answer';
import {
  AnalyticsQueries,
  BREAKDOWN_DIMENSIONS,
  isOnWindowGrid,
  OUTCOME_WINDOW_GRID_MONTHS,
  type Audience,
  type BreakdownDimension,
  type QueryResult,
} from './analytics.queries';

export const ANALYTICS_QUERIES = Symbol('ANALYTICS_QUERIES');

/**
 * The analysts' API: thin. Validates parameters, asks AnalyticsQueries (which applies disclosure
 * control), reports result size and suppressed cells to the audit, answers JSON or CSV.
 */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@ApiHeader({ name: 'Accept', required: false, description: '`text/csv` for CSV, JSON otherwise' })
@Controller('v1')
export class AnalyticsController {
  constructor(@Inject(ANALYTICS_QUERIES) private readonly queries: AnalyticsQueries) {}

  @Get('cohort')
  @RequiresPermission('read:outcomes', { action: 'read cohort' })
  @PublishedResponse('Cohort size, index dates by month and Life Rooms engagement', COHORT_BODY)
  async cohort(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.cohort(audienceOf(req)));
  }

  @Get('outcomes')
  @RequiresPermission('read:outcomes', { action: 'read outcomes' })
  @ApiQuery({ name: 'measure', enum: OUTCOME_MEASURES })
  @ApiQuery({
    name: 'before',
    required: false,
    description: 'months before the index date, a multiple of 3 (default 12)',
  })
  @ApiQuery({
    name: 'after',
    required: false,
    description: 'months after the index date, a multiple of 3 (default 12)',
  })
  @ApiQuery({
    name: 'washout',
    required: false,
    description: 'months before the index date left out of the baseline (default 3: the dip)',
  })
  @PublishedResponse(
    'Users vs matched controls per person-year, DiD with a 95% interval over matched sets, and which diagnostics passed (balance, pre-trend, negative control)',
    OUTCOMES_BODY,
  )
  async outcomes(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query('measure') measure?: string,
    @Query('before') before?: string,
    @Query('after') after?: string,
    @Query('washout') washout?: string,
  ) {
    const b = parseMonths(before, 'before');
    const w = parseWashout(washout, b);
    const result = await this.queries.outcomes(
      parseMeasure(measure),
      b,
      parseMonths(after, 'after'),
      audienceOf(req),
      w,
    );
    return this.answer(req, res, result);
  }

  @Get('outcomes/event-study')
  @RequiresPermission('read:outcomes', { action: 'read event study' })
  @ApiQuery({ name: 'measure', enum: OUTCOME_MEASURES })
  @PublishedResponse(
    'Monthly rates of users and matched controls, 24 months before to 24 after the index date',
    EVENT_STUDY_BODY,
  )
  async eventStudy(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query('measure') measure?: string,
  ) {
    return this.answer(
      req,
      res,
      await this.queries.eventStudy(parseMeasure(measure), audienceOf(req)),
    );
  }

  @Get('breakdowns/:dimension')
  @RequiresPermission('read:outcomes', { action: 'read breakdown' })
  @ApiParam({ name: 'dimension', enum: BREAKDOWN_DIMENSIONS })
  @ApiQuery({ name: 'measure', enum: OUTCOME_MEASURES })
  @PublishedResponse(
    'Cohort users by a fixed dimension, with the measure in the year after the index date',
    BREAKDOWN_BODY,
  )
  async breakdown(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('dimension') dimension: string,
    @Query('measure') measure?: string,
  ) {
    if (!(BREAKDOWN_DIMENSIONS as readonly string[]).includes(dimension)) {
      throw new BadRequestException({
        error: 'validation_failed',
        reason: 'unknown_dimension',
        field: '/dimension',
        allowed: BREAKDOWN_DIMENSIONS,
        message: `unknown dimension: one of ${BREAKDOWN_DIMENSIONS.join(', ')}`,
      });
    }
    const result = await this.queries.breakdown(
      dimension as BreakdownDimension,
      parseMeasure(measure),
      12,
      audienceOf(req),
    );
    return this.answer(req, res, result);
  }

  @Get('wellbeing')
  @RequiresPermission('read:outcomes', { action: 'read wellbeing' })
  @PublishedResponse('SWEMWBS metric baseline, follow-up and change', WELLBEING_BODY)
  async wellbeing(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.wellbeing(audienceOf(req)));
  }

  @Get('matching/balance')
  @RequiresPermission('read:outcomes', { action: 'read matching balance' })
  @PublishedResponse('Standardised mean differences before and after matching', BALANCE_BODY)
  async balance(@Req() req: GovernedRequest, @Res({ passthrough: true }) res: Response) {
    return this.answer(req, res, await this.queries.balance(audienceOf(req)));
  }

  private answer(
    req: GovernedRequest,
    res: Response,
    result: QueryResult<Record<string, unknown>>,
  ): unknown {
    return answerPublished(req, res, result);
  }
}

function parseMeasure(measure: string | undefined): OutcomeMeasure {
  if (!isOutcomeMeasure(measure)) {
    const missing = measure === undefined || measure === '';
    // The allowed values travel with the error, so a caller can fix the request from it alone.
    throw new BadRequestException({
      error: 'validation_failed',
      reason: missing ? 'measure_required' : 'unknown_measure',
      field: '/measure',
      allowed: OUTCOME_MEASURES,
      message: `${missing ? 'the query parameter measure is required' : 'unknown measure'}: one of ${OUTCOME_MEASURES.join(', ')}`,
    });
  }
  return measure;
}

function parseWashout(value: string | undefined, before: number): number {
  if (value === undefined || value === '') return Math.min(3, before - 1);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n >= before) {
    throw new BadRequestException({
      error: 'validation_failed',
      reason: 'washout_out_of_range',
      field: '/washout',
    });
  }
  return n;
}

function parseMonths(value: string | undefined, field: string): number {
  if (value === undefined || value === '') return 12;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 60) {
    throw new BadRequestException({
      error: 'validation_failed',
      reason: 'months_out_of_range',
      field: `/${field}`,
      message: `${field} must be a whole number of months from 1 to 60`,
    });
  }
  if (!isOnWindowGrid(n)) {
    throw new BadRequestException({
      error: 'validation_failed',
      reason: 'window_not_on_grid',
      field: `/${field}`,
      grid: `multiples of ${OUTCOME_WINDOW_GRID_MONTHS} months`,
    });
  }
  return n;
}

/** The caller's DSA and the output asked for: the answer is checked against and recorded in its ledger. */
function audienceOf(req: GovernedRequest): Audience | undefined {
  const actor = req.governance?.actor;
  if (!actor) return undefined;
  return { dsa: actor.dsa, output: `${req.method} ${req.url ?? ''}` };
}
