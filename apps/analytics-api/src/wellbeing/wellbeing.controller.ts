import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  gated,
  list,
  object,
  publishedBody,
  PublishedResponse,
  RequiresPermission,
  text,
  type GovernedRequest,
} from '@linkage/governance';
import { audienceOf } from '../analytics/analytics.controller';
import { answerPublished } from '../http/published-answer';
import { WellbeingDistributionQueries } from './wellbeing-distributions';

const distribution = list(
  object({
    bin: text('`<from>-<to>` in metric points'),
    from: { type: 'number' },
    to: { type: 'number' },
    people: gated(),
  }),
);

/** The JSON body, for the OpenAPI document. */
export const WELLBEING_DISTRIBUTIONS_BODY = publishedBody({
  instrument: text(),
  scale: text(),
  binWidth: { type: 'number' },
  baseline: distribution,
  followUp: distribution,
});

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
  @PublishedResponse(
    'People by SWEMWBS metric score bin at baseline and at follow-up; withheld bins are null',
    WELLBEING_DISTRIBUTIONS_BODY,
  )
  async distributions(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    return answerPublished(req, res, await this.queries.distributions(audienceOf(req)));
  }
}
