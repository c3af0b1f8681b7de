import { Controller, Get, Header, Inject, Optional, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import { SharedRead } from '@linkage/common';
import type { Database } from '@linkage/database';
import type { EventStore } from '@linkage/event-store';
import { Public, PublicRouteDocs } from '@linkage/governance';
import { metricsRegistry } from '@linkage/observability';
// The projector owns the lag gauges; the API publishes them on /health and /metrics.
import { projectionLag } from '../../../projector/src';

export const ANALYTICS_DB = Symbol('ANALYTICS_DB');
export const ANALYTICS_STORE = Symbol('ANALYTICS_STORE');
export const STALL_THRESHOLD_SECONDS = Symbol('STALL_THRESHOLD_SECONDS');

/** Default: an open transaction holding subscribers back for longer than this is unhealthy. */
export const DEFAULT_STALL_THRESHOLD_SECONDS = 60;

/** Liveness with projection lag, and Prometheus metrics: public, never data. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(ANALYTICS_DB) private readonly db: Database,
    @Optional() @Inject(ANALYTICS_STORE) private readonly store?: EventStore,
    @Optional()
    @Inject(STALL_THRESHOLD_SECONDS)
    private readonly stallThresholdSeconds: number = DEFAULT_STALL_THRESHOLD_SECONDS,
  ) {}

  /**
   * `ok`, or `unhealthy` (503) when the oldest open transaction has held every subscriber back
   * for longer than the stall threshold: the read models stop moving while it stays open.
   */
  @Get('health')
  @Public()
  @PublicRouteDocs(
    'Liveness with projection lag; 503 when an open transaction stalls the read models',
    'health',
  )
  async health(@Res({ passthrough: true }) res: Response) {
    const { unhealthy, body } = await this.readings.get();
    if (unhealthy) res.status(503);
    return body;
  }

  /**
   * Concurrent probes share one reading (five queries), never one begun before they asked: 50
   * probes at once cost two readings, not 50.
   */
  private readonly readings = new SharedRead(() => this.read());

  private async read(): Promise<{ unhealthy: boolean; body: Record<string, unknown> }> {
    const store = this.store;
    const [[row], lag] = await Promise.all([
      this.db.sql<{ position: string; updated_at: Date }[]>`
        select position, updated_at from read_model.checkpoint where projection = 'read-models'`.catch(
        () => [],
      ),
      store ? projectionLag(this.db.sql, store).catch(() => undefined) : undefined,
    ]);
    const projection: Record<string, unknown> = { position: row?.position ?? null };
    if (store) {
      projection.lagEvents = lag?.events ?? null;
      projection.lagSeconds = lag ? Math.round(lag.seconds * 10) / 10 : null;
      if (lag) {
        const age = Math.round(lag.visibility.horizonAgeSeconds * 10) / 10;
        const stalled = lag.visibility.horizonAgeSeconds > this.stallThresholdSeconds;
        projection.eventStore = {
          horizonAgeSeconds: age,
          heldBackEvents: lag.visibility.heldBackEvents,
          stallThresholdSeconds: this.stallThresholdSeconds,
        };
        if (stalled) {
          return {
            unhealthy: true,
            body: {
              status: 'unhealthy',
              reason: 'subscribers_held_back_by_open_transaction',
              projection,
            },
          };
        }
      }
    }
    return { unhealthy: false, body: { status: 'ok', projection } };
  }

  @Get('metrics')
  @Public()
  @PublicRouteDocs('Prometheus metrics', 'metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
