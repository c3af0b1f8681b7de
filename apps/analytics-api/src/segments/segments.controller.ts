import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NotFoundError } from '@linkage/common';
import { OUTCOME_MEASURES } from '@linkage/domain';
import { PublishedResponse, RequiresPermission, type GovernedRequest } from '@linkage/governance';
import {
  SEGMENT_LIST_BODY,
  SEGMENT_BODY,
  SEGMENT_AREAS_BODY,
  SEGMENT_TREND_BODY,
} from '../http/response-schemas';
import { answerPublished } from '../http/published-answer';
import {
  SEGMENT_AREA_LEVELS,
  SegmentQueries,
  type SegmentAreaLevel,
  type SegmentResult,
} from './segments.queries';

export const SEGMENT_QUERIES = Symbol('SEGMENT_QUERIES');

const SEGMENT_ID = /^[a-z0-9-]+(\.[a-z0-9-]+){1,2}$/;

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
  @ApiQuery({ name: 'ruleset', required: false })
  @PublishedResponse(
    'Every segment with its size at the latest run and the change since the run before',
    SEGMENT_LIST_BODY,
  )
  async list(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query('ruleset') ruleset?: string,
  ) {
    if (ruleset !== undefined && !/^[a-z0-9-]+$/.test(ruleset))
      throw invalid('/ruleset', 'unknown_ruleset');
    return this.answer(req, res, () => this.queries.list(ruleset));
  }

  @Get(':id')
  @RequiresPermission('read:segments', { action: 'read segment' })
  @ApiParam({ name: 'id', description: '`<ruleset>.<segment>[.<subsegment>]`' })
  @ApiQuery({ name: 'measure', enum: OUTCOME_MEASURES, required: false })
  @PublishedResponse('Size, criteria and the Life Rooms lens of one segment', SEGMENT_BODY)
  async show(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query('measure') measure?: string,
  ) {
    checkId(id);
    if (measure !== undefined && !(OUTCOME_MEASURES as readonly string[]).includes(measure))
      throw invalid('/measure', 'unknown_measure');
    return this.answer(req, res, () => this.queries.show(id, measure));
  }

  @Get(':id/areas')
  @RequiresPermission('read:segments', { action: 'read segment areas' })
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'level', enum: SEGMENT_AREA_LEVELS, required: false })
  @PublishedResponse('Members and Life Rooms users by area', SEGMENT_AREAS_BODY)
  async areas(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query('level') level?: string,
  ) {
    checkId(id);
    const l = level ?? 'local-authority';
    if (!(SEGMENT_AREA_LEVELS as readonly string[]).includes(l))
      throw invalid('/level', 'unknown_level');
    return this.answer(req, res, () => this.queries.areas(id, l as SegmentAreaLevel));
  }

  @Get(':id/trend')
  @RequiresPermission('read:segments', { action: 'read segment trend' })
  @ApiParam({ name: 'id' })
  @PublishedResponse('Size at every run and the change since the run before', SEGMENT_TREND_BODY)
  async trend(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
  ) {
    checkId(id);
    return this.answer(req, res, () => this.queries.trend(id));
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

function invalid(field: string, reason: string): BadRequestException {
  return new BadRequestException({ error: 'validation_failed', reason, field });
}

function checkId(id: string): void {
  if (!SEGMENT_ID.test(id)) throw invalid('/id', 'invalid_segment_id');
}
