import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { PublishedResponse } from '@linkage/governance';
import { LSOA_REACH_BODY } from '../http/response-schemas';
import { RequiresPermission, type GovernedRequest } from '@linkage/governance';
import { answerPublished } from '../http/published-answer';
import { audienceOf } from '../analytics/analytics.controller';
import { AreaQueries } from './areas.queries';

export const AREA_QUERIES = Symbol('AREA_QUERIES');

/** Areas for the map: Life Rooms reach by LSOA, disclosure-controlled (JSON, or CSV). */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@ApiHeader({ name: 'Accept', required: false, description: '`text/csv` for CSV, JSON otherwise' })
@Controller('v1/areas')
export class AreasController {
  constructor(@Inject(AREA_QUERIES) private readonly queries: AreaQueries) {}

  @Get('lsoa')
  @RequiresPermission('read:outcomes', { action: 'read area reach' })
  @PublishedResponse(
    'Residents, Life Rooms users and users per 1,000 residents by LSOA',
    LSOA_REACH_BODY,
  )
  async lsoa(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    return answerPublished(req, res, await this.queries.lsoaReach(audienceOf(req)));
  }
}
