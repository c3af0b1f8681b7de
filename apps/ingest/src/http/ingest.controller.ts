import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { SOURCES, type Source } from '@linkage/contracts';
import {
  Public,
  RequiresPermission,
  governanceOf,
  type GovernedRequest,
} from '@linkage/governance';
import { metricsRegistry } from '@linkage/observability';
import { ingestRecords, type IngestDependencies } from '../pipeline/ingest-run';
import type { IngestSummary } from '../pipeline/ingest-summary';
import { ndjsonRecords } from '../pipeline/record-readers';

export const INGEST_DEPENDENCIES = Symbol('INGEST_DEPENDENCIES');

/** `POST /v1/ingest/{source}`: an NDJSON body, streamed through the edge; the run's summary back. */
@Controller()
export class IngestController {
  constructor(@Inject(INGEST_DEPENDENCIES) private readonly deps: IngestDependencies) {}

  @Post('v1/ingest/:source')
  @HttpCode(200)
  @RequiresPermission('ingest', { action: 'ingest.run' })
  async ingest(@Param('source') source: string, @Req() req: Request): Promise<IngestSummary> {
    if (!(SOURCES as readonly string[]).includes(source)) {
      throw new BadRequestException({ error: 'unknown_source', reason: 'unknown_source' });
    }
    // The body is never buffered whole: the app runs without a body parser.
    const summary = await ingestRecords(ndjsonRecords(req), this.deps, {
      source: source as Source,
      origin: 'http',
    });
    governanceOf(req as unknown as GovernedRequest).resultSize = summary.records;
    return summary;
  }

  @Get('health')
  @Public()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('metrics')
  @Public()
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
