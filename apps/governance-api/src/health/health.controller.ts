import { Controller, Get, Header, Inject } from '@nestjs/common';
import { metricsRegistry } from '@linkage/observability';
import type { Database } from '@linkage/database';
import { Public } from '@linkage/governance';

export const DATABASE = Symbol('DATABASE');

/** Liveness and Prometheus metrics: public, hold no data, not audited. */
@Controller()
export class HealthController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Get('health')
  @Public()
  async health() {
    await this.db.sql`select 1`;
    return { status: 'ok' };
  }

  @Get('metrics')
  @Public()
  @Header('content-type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
