import { Controller, Get, Header, Inject, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Database } from '@linkage/database';
import type { EventStore } from '@linkage/event-store';
import { Public } from '@linkage/governance';
import { metricsRegistry } from '@linkage/observability';
// The projector owns the lag gauges; the API publishes them on /health and /metrics.
import { projectionLag } from '../../../projector/src';

export const ANALYTICS_DB = Symbol('ANALYTICS_DB');
export const ANALYTICS_STORE = Symbol('ANALYTICS_STORE');

/** Liveness with projection lag, and Prometheus metrics: public, never data. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(ANALYTICS_DB) private readonly db: Database,
    @Optional() @Inject(ANALYTICS_STORE) private readonly store?: EventStore,
  ) {}

  @Get('health')
  @Public()
  async health() {
    const [row] = await this.db.sql<{ position: string; updated_at: Date }[]>`
      select position, updated_at from read_model.checkpoint where projection = 'read-models'`.catch(
      () => [],
    );
    const projection: Record<string, unknown> = { position: row?.position ?? null };
    if (this.store) {
      const lag = await projectionLag(this.db.sql, this.store).catch(() => undefined);
      projection.lagEvents = lag?.events ?? null;
      projection.lagSeconds = lag ? Math.round(lag.seconds * 10) / 10 : null;
    }
    return { status: 'ok', projection };
  }

  @Get('metrics')
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4')
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
