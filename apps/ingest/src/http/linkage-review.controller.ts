import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { RequiresPermission, reportResult, type GovernedRequest } from '@linkage/governance';
import { CommandBus } from '@nestjs/cqrs';
import {
  listReviewCandidates,
  type PersonMergeResult,
  type ReviewCandidate,
  type ReviewDecisionResult,
} from '../../../event-writer/src';
import type { IngestAppOptions } from './ingest-app';
import {
  DecideCandidateLinkCommand,
  DecidePersonsCommand,
  LINKAGE_REVIEW_DEPENDENCIES,
} from './linkage-review.commands';
import {
  PersonDecisionParams,
  PersonDecisionQuery,
  ReviewDecisionParams,
  ReviewListQuery,
} from './ingest.dto';

export { LINKAGE_REVIEW_DEPENDENCIES };

/**
 * Clerical review of candidate links for a linkage officer: the pairs in the review band by
 * field-level similarity and score (never identifiers), and the officer's accept / reject, which
 * becomes a link decision event. Every call is audited by the governance gate.
 */
@Controller('v1/linkage/review')
export class LinkageReviewController {
  constructor(
    @Inject(LINKAGE_REVIEW_DEPENDENCIES)
    private readonly deps: Pick<IngestAppOptions, 'db' | 'store'>,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  @RequiresPermission('review:linkage', { action: 'linkage.review.list' })
  async list(
    @Query() query: ReviewListQuery,
    @Req() req: GovernedRequest,
  ): Promise<{ candidates: ReviewCandidate[] }> {
    const candidates = await listReviewCandidates(this.deps.db, { limit: query.limit });
    reportResult(req, { resultSize: candidates.length });
    return { candidates };
  }

  @Post(':record/candidates/:candidate/:decision')
  @HttpCode(200)
  @RequiresPermission('review:linkage', { action: 'linkage.review.decide' })
  async decide(
    @Param() params: ReviewDecisionParams,
    @Req() req: GovernedRequest,
  ): Promise<ReviewDecisionResult> {
    const result = await this.commands.execute(
      new DecideCandidateLinkCommand(params.record, params.candidate, params.decision, new Date()),
    );
    reportResult(req, { resultSize: result.events });
    return result;
  }

  /**
   * Merges two NHS-numbered persons (`decision` merge: the merged person's records count for the
   * survivor) or splits a merge, as a `PersonsMerged` / `PersonsSplit` event. Persons are named
   * by pseudonym; `?reason=` is `nhs_number_correction` or `duplicate_registration` for a merge,
   * `nhs_number_correction` or `merged_in_error` for a split.
   */
  @Post('persons/:merged/:decision/:survivor')
  @HttpCode(200)
  @RequiresPermission('review:linkage', {
    action: 'linkage.persons.decide',
    parameters: { merged: 'code', decision: 'code', survivor: 'code', reason: 'code' },
  })
  async decidePersons(
    @Param() params: PersonDecisionParams,
    @Query() query: PersonDecisionQuery,
    @Req() req: GovernedRequest,
  ): Promise<PersonMergeResult> {
    const result = await this.commands.execute(
      new DecidePersonsCommand(
        params.merged,
        params.decision,
        params.survivor,
        query.reason,
        new Date(),
      ),
    );
    reportResult(req, { resultSize: result.events });
    return result;
  }
}
