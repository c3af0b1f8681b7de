import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequiresPermission, reportResult, type GovernedRequest } from '@linkage/governance';
import { toCsv, wantsCsv } from '../http/csv';
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
  @ApiOkResponse({
    description: 'Residents, Life Rooms users and users per 1,000 residents by LSOA',
  })
  async lsoa(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    const result = await this.queries.lsoaReach(audienceOf(req));
    reportResult(req, { resultSize: result.rows.length, cellsSuppressed: result.cellsSuppressed });
    res.setHeader('x-linkage-provenance', JSON.stringify(result.body.provenance));
    res.setHeader('x-linkage-policy-version', result.body.provenance.publishingPolicy.version);
    // Read here rather than as a @Headers() parameter, which OpenAPI would list as required.
    if (wantsCsv(String(req.headers.accept ?? ''))) {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      return toCsv(result.rows);
    }
    return result.body;
  }
}
