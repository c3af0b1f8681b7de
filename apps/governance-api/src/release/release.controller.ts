import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import {
  ReleaseFileQuery,
  ReleaseListQuery,
  RequestReleaseBody,
  ReviewReleaseBody,
} from './release.dto';
import { AccessDeniedError } from '@linkage/common';
import {
  governanceOf,
  GovernedErrors,
  JsonResponse,
  reportResult,
  RequiresPermission,
  ReleaseReview,
  type Actor,
  type GovernedRequest,
  type ReleaseView,
} from '@linkage/governance';
import { CommandBus } from '@nestjs/cqrs';
import { RequestReleaseCommand, ReviewReleaseCommand } from './release.commands';
import { RELEASE_BODY, RELEASE_FILE_BODY, RELEASE_LIST_BODY } from '../http/response-schemas';

export const RELEASE_QUERIES = Symbol('RELEASE_QUERIES');

/**
 * Release review over HTTP: analysts request release of an analytics output (produced here
 * through the publishing gate, with provenance); output checkers (never the requester) approve
 * or reject with a reason, seeing the gate's report; approved outputs are downloaded as release
 * files. Every call is audited by the governance interceptor; the decisions are events.
 */
@ApiTags('releases')
@ApiBearerAuth()
@Controller('v1/releases')
export class ReleaseController {
  constructor(
    private readonly releases: ReleaseReview,
    private readonly commands: CommandBus,
  ) {}

  @Post()
  @RequiresPermission('release:request', { action: 'release.request' })
  @JsonResponse("The release request, with the gate's report", RELEASE_BODY)
  async request(@Req() req: GovernedRequest, @Body() body: RequestReleaseBody) {
    const { release, cellsSuppressed } = await this.commands.execute(
      new RequestReleaseCommand(actorOf(req), {
        output: body.output,
        parameters: body.parameters ?? {},
        justification: body.justification ?? '',
      }),
    );
    reportResult(req, { resultSize: 1, cellsSuppressed });
    return release;
  }

  /** Releases, newest first: JSON, or CSV with `Accept: text/csv` (one row per request). */
  @Get()
  @RequiresPermission('release:read', { action: 'release.list' })
  @JsonResponse('Release requests visible to the caller', RELEASE_LIST_BODY)
  async list(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Query() query: ReleaseListQuery,
  ) {
    const actor = actorOf(req);
    const releases = await this.releases.list({ dsa: visibleDsa(actor), status: query.status });
    reportResult(req, { resultSize: releases.length });
    if (/\btext\/csv\b/i.test(String(req.headers.accept ?? ''))) {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      return releasesCsv(releases);
    }
    return { releases };
  }

  @Get(':id')
  @RequiresPermission('release:read', { action: 'release.show' })
  @JsonResponse('One release request', RELEASE_BODY)
  async show(@Req() req: GovernedRequest, @Param('id') id: string) {
    const release = await this.releases.get(id);
    const dsa = visibleDsa(actorOf(req));
    if (dsa && release.dsa !== dsa) throw new AccessDeniedError('other_dsa');
    reportResult(req, { resultSize: 1 });
    return release;
  }

  @Post(':id/review')
  @RequiresPermission('release:review', { action: 'release.review' })
  @JsonResponse('The release request after the decision', RELEASE_BODY)
  async review(
    @Req() req: GovernedRequest,
    @Param('id') id: string,
    @Body() body: ReviewReleaseBody,
  ) {
    const gov = governanceOf(req);
    gov.action = `release.${body.decision}`;
    const release = await this.commands.execute(
      new ReviewReleaseCommand(actorOf(req), id, body.decision, body.reason ?? ''),
    );
    reportResult(req, { resultSize: 1 });
    return release;
  }

  @Get(':id/file')
  @RequiresPermission('release:download', { action: 'release.download' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({
    description: 'The approved release file: JSON, or CSV with ?format=csv',
    content: {
      'application/json': { schema: RELEASE_FILE_BODY },
      'text/csv': { schema: { type: 'string', description: 'the released rows as CSV' } },
    },
  })
  @GovernedErrors()
  async file(
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('id') id: string,
    @Query() query: ReleaseFileQuery,
  ) {
    const file = await this.releases.download(actorOf(req), id);
    reportResult(req, {
      resultSize: 1,
      cellsSuppressed: file.release.gateReport.suppressed.length,
    });
    if (query.format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="release-${id}.csv"`);
      return file.csv;
    }
    res.setHeader('content-disposition', `attachment; filename="release-${id}.json"`);
    return file;
  }
}

/** The list as CSV: who asked for what and why, and how many cells the gate withheld. */
function releasesCsv(releases: readonly ReleaseView[]): string {
  const columns = [
    'release_id',
    'status',
    'output',
    'parameters',
    'requested_by',
    'dsa',
    'justification',
    'requested_at',
    'reviewed_by',
    'review_reason',
    'reviewed_at',
    'cells_suppressed',
    'policy_version',
  ];
  return stringify(
    releases.map((r) => [
      r.releaseId,
      r.status,
      r.output,
      JSON.stringify(r.parameters),
      r.requestedBy,
      r.dsa,
      r.justification,
      r.requestedAt,
      r.reviewedBy ?? '',
      r.reviewReason ?? '',
      r.reviewedAt ?? '',
      r.gateReport.suppressed.length,
      r.gateReport.policyVersion,
    ]),
    { header: true, columns },
  );
}

function actorOf(req: GovernedRequest): Actor {
  const actor = req.governance?.actor;
  if (!actor) throw new AccessDeniedError('no_actor', 'unauthenticated');
  return actor;
}

/**
 * Output checkers and governance officers (who oversee every DSA, as they do the audit trail)
 * see every DSA's requests; everyone else only their own DSA's.
 */
function visibleDsa(actor: Actor): string | undefined {
  return actor.role === 'output_checker' || actor.role === 'governance-officer'
    ? undefined
    : actor.dsa;
}
