import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { RequiresPermission, reportResult, type GovernedRequest } from '@linkage/governance';
import {
  decidePersonMergeCommand,
  decideReview,
  listReviewCandidates,
  type PersonMergeResult,
  type ReviewCandidate,
  type ReviewDecisionResult,
} from '../../../event-writer/src';
import type { IngestAppOptions } from './ingest-app';
import {
  PersonDecisionParams,
  PersonDecisionQuery,
  ReviewDecisionParams,
  ReviewListQuery,
} from './ingest.dto';

export const LINKAGE_REVIEW_DEPENDENCIES = Symbol('LINKAGE_REVIEW_DEPENDENCIES');

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
    if (!this.deps.store)
      throw new ServiceUnavailableException({ error: 'unavailable', reason: 'no_event_store' });
    const result = await decideReview({
      db: this.deps.db,
      store: this.deps.store,
      recordEventId: params.record,
      candidatePersonId: params.candidate,
      decision: params.decision,
      now: new Date(),
    });
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
    if (!this.deps.store)
      throw new ServiceUnavailableException({ error: 'unavailable', reason: 'no_event_store' });
    const result = await decidePersonMergeCommand({
      db: this.deps.db,
      store: this.deps.store,
      decision: params.decision,
      survivorId: params.survivor,
      mergedId: params.merged,
      reason: query.reason,
      now: new Date(),
    });
    reportResult(req, { resultSize: result.events });
    return result;
  }
}
