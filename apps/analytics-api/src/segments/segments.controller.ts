import { Controller, Get, Inject, NotFoundException, Param, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NotFoundError } from '@linkage/common';
import { PublishedResponse, RequiresPermission, type GovernedRequest } from '@linkage/governance';
import { audienceOf } from '../analytics/analytics.controller';
import {
  SEGMENT_LIST_BODY,
  SEGMENT_BODY,
  SEGMENT_AREAS_BODY,
  SEGMENT_TREND_BODY,
} from '../http/response-schemas';
import { answerPublished } from '../http/published-answer';
import {
  SegmentAreasQuery,
  SegmentListQuery,
  SegmentParams,
  SegmentShowQuery,
} from './segments.dto';
import { SegmentQueries, type SegmentResult } from './segments.queries';

export const SEGMENT_QUERIES = Symbol('SEGMENT_QUERIES');

/**
 * Segment reports (System P style): thin. Needs `read:segments`; audited like every route;
 * every number disclosure-controlled by SegmentQueries. JSON, or CSV with `Accept: text/csv`.
 */
@ApiTags('segments')
@ApiProduces('application/json', 'text/csv')
@ApiHeader({ name: 'Accept', required: false, description: '`text/csv` for CSV, JSON otherwise' })
@Controller('v1/segments')
export class SegmentsController {
  constructor(@Inject(SEGMENT_QUERIES) private readonly queries: SegmentQueries) {}

  @Get()
  @RequiresPermission('read:segments', { action: 'read segments' })
  @PublishedResponse(
    'Every segment with its size at the latest run and the change since the run before',
    SEGMENT_LIST_BODY,
  )
  async list(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query() query: SegmentListQuery,
  ) {
    return this.answer(req, res, () => this.queries.list(query.ruleset, audienceOf(req)));
  }

  @Get(':id')
  @RequiresPermission('read:segments', { action: 'read segment' })
  @PublishedResponse('Size, criteria and the Life Rooms lens of one segment', SEGMENT_BODY)
  async show(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param() params: SegmentParams,
    @Query() query: SegmentShowQuery,
  ) {
    return this.answer(req, res, () =>
      this.queries.show(params.id, query.measure, audienceOf(req)),
    );
  }

  @Get(':id/areas')
  @RequiresPermission('read:segments', { action: 'read segment areas' })
  @PublishedResponse('Members and Life Rooms users by area', SEGMENT_AREAS_BODY)
  async areas(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param() params: SegmentParams,
    @Query() query: SegmentAreasQuery,
  ) {
    const level = query.level ?? 'local-authority';
    return this.answer(req, res, () => this.queries.areas(params.id, level, audienceOf(req)));
  }

  @Get(':id/trend')
  @RequiresPermission('read:segments', { action: 'read segment trend' })
  @PublishedResponse(
    'Size at every run, as a whole and by area, with the change since the run before',
    SEGMENT_TREND_BODY,
  )
  async trend(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param() params: SegmentParams,
    @Query() query: SegmentAreasQuery,
  ) {
    const level = query.level ?? 'local-authority';
    return this.answer(req, res, () => this.queries.trend(params.id, level, audienceOf(req)));
  }

  private async answer(
    req: GovernedRequest,
    res: Response,
    query: () => Promise<SegmentResult>,
  ): Promise<unknown> {
    let result: SegmentResult;
    try {
      result = await query();
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundException({
          error: 'not_found',
          reason: error.message.replace(/ not found$/, '_not_found').replace(/ /g, '_'),
        });
      throw error;
    }
    return answerPublished(req, res, result);
  }
}
