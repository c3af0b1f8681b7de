import {
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { PassThrough } from 'node:stream';
import type { Request, Response } from 'express';
import {
  Public,
  RequiresPermission,
  governanceOf,
  type GovernedRequest,
} from '@linkage/governance';
import { metricsRegistry } from '@linkage/observability';
import { IngestHealthCheck, type IngestHealth } from '../health/ingest-health';
import { CommandBus } from '@nestjs/cqrs';
import type { IngestDependencies, RawRecord } from '../pipeline/ingest-run';
import { IngestRunFailedError, type IngestFailure } from '../pipeline/ingest-run-failed';
import type { IngestSummary } from '../pipeline/ingest-summary';
import { inputLimits } from '../pipeline/input-limits';
import { InputRejectedError, recordsOf, type InputFormat } from '../pipeline/record-readers';
import { IngestParams } from './ingest.dto';

import { INGEST_DEPENDENCIES, IngestBatchCommand } from './ingest-batch.command';

export { INGEST_DEPENDENCIES };

/** The media types a body may have, and the format each means. */
const MEDIA_TYPES: Record<string, InputFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'text/csv': 'csv',
};

/** The HTTP status of a run that did not end `stored`. */
const FAILURE_STATUS: Record<IngestFailure, number> = {
  data_loss: 503,
  store_timeout: 504,
  body_too_large: 413,
  invalid_encoding: 400,
  line_too_long: 400,
  // The client is gone; the status is for the audit trail and logs.
  aborted: 499,
  ingest_failed: 500,
};

/**
 * `POST /v1/ingest/{source}`: an NDJSON (`application/x-ndjson`) or CSV (`text/csv`) body,
 * streamed through the edge; the run's summary back, with its first rejections. A run that does
 * not end `stored` answers with an error status and the same summary (what the store holds).
 */
@Controller()
export class IngestController {
  private readonly healthCheck: IngestHealthCheck;

  constructor(
    @Inject(INGEST_DEPENDENCIES) private readonly deps: IngestDependencies,
    private readonly commands: CommandBus,
  ) {
    this.healthCheck = new IngestHealthCheck(deps);
  }

  @Post('v1/ingest/:source')
  @HttpCode(200)
  @RequiresPermission('ingest', { action: 'ingest.run', parameters: { source: 'code' } })
  async ingest(@Param() params: IngestParams, @Req() req: Request): Promise<IngestSummary> {
    const { source } = params;
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format = MEDIA_TYPES[mediaType];
    if (!format) {
      throw new HttpException(
        {
          error: 'unsupported_media_type',
          reason: 'unsupported_media_type',
          accepted: Object.keys(MEDIA_TYPES),
        },
        415,
      );
    }
    const limits = inputLimits();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
      throw new HttpException({ error: 'body_too_large', reason: 'body_too_large' }, 413);
    }
    // A client that goes away ends the run `aborted` (it never stays `running`).
    const abort = new AbortController();
    const onClose = () => {
      if (req.complete) return;
      abort.abort();
      // A pipe does not pass the source's end on: the reader would wait for ever.
      piped.destroy(Object.assign(new Error('client went away'), { code: 'aborted' }));
    };
    // Read through a pipe: a body refused half way (over the limit) is then drained, not cut,
    // so the client still gets the 413 and its summary.
    const piped = req.pipe(new PassThrough());
    req.on('close', onClose);
    async function* body(): AsyncGenerator<RawRecord> {
      try {
        // The body is never buffered whole: the app runs without a body parser.
        yield* recordsOf(piped, format, limits);
      } catch (error) {
        if (error instanceof InputRejectedError) {
          req.unpipe(piped);
          req.resume();
        } else if (!req.complete && req.destroyed) {
          abort.abort();
        }
        throw error;
      }
    }
    try {
      const summary = await this.commands.execute(
        new IngestBatchCommand(source, body(), abort.signal),
      );
      governanceOf(req as unknown as GovernedRequest).resultSize = summary.records;
      return summary;
    } catch (error) {
      if (error instanceof IngestRunFailedError) {
        governanceOf(req as unknown as GovernedRequest).resultSize = error.summary.records;
        throw new HttpException(
          {
            error: 'ingest_run_' + error.summary.status,
            reason: error.code,
            summary: error.summary,
          },
          FAILURE_STATUS[error.code],
        );
      }
      throw error;
    } finally {
      req.off('close', onClose);
    }
  }

  /** Unhealthy (503) while a consumer stalls or lost data, or the event writer is stuck. */
  @Get('health')
  @Public()
  async health(@Res({ passthrough: true }) res: Response): Promise<IngestHealth> {
    const health = await this.healthCheck.check();
    if (health.status !== 'ok') res.status(503);
    return health;
  }

  @Get('metrics')
  @Public()
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
