import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequiresPermission, reportResult, type GovernedRequest } from '@linkage/governance';
import { toCsv, wantsCsv } from '../http/csv';
import { WellbeingDistributionQueries } from './wellbeing-distributions';

export const WELLBEING_DISTRIBUTION_QUERIES = Symbol('WELLBEING_DISTRIBUTION_QUERIES');

/** SWEMWBS score distributions, binned and disclosure-controlled (JSON, or CSV). */
@ApiTags('analytics')
@ApiProduces('application/json', 'text/csv')
@ApiHeader({ name: 'Accept', required: false, description: '`text/csv` for CSV, JSON otherwise' })
@Controller('v1/wellbeing')
export class WellbeingController {
  constructor(
    @Inject(WELLBEING_DISTRIBUTION_QUERIES)
    private readonly queries: WellbeingDistributionQueries,
  ) {}

  @Get('distributions')
  @RequiresPermission('read:outcomes', { action: 'read wellbeing distributions' })
  @ApiOkResponse({
    description:
      'People by SWEMWBS metric score bin at baseline and at follow-up; suppressed bins are null and listed in `suppressed`',
  })
  async distributions(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    const result = await this.queries.distributions();
    reportResult(req, { resultSize: result.rows.length, cellsSuppressed: result.cellsSuppressed });
    res.setHeader('x-linkage-provenance', JSON.stringify(result.body.provenance));
    res.setHeader('x-linkage-policy-version', result.body.provenance.publishingPolicy.version);
    // Read here rather than as a @Headers() parameter, which OpenAPI would list as required.
    if (wantsCsv(String(req.headers.accept ?? ''))) {
      res.setHeader('x-linkage-suppressed', JSON.stringify(result.suppressed));
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      return toCsv(result.rows);
    }
    return result.body;
  }
}
