import { Controller, Get, Header, Inject } from '@nestjs/common';
import { metricsRegistry } from '@linkage/observability';
import type { Database } from '@linkage/database';
import { Public, PublicRouteDocs } from '@linkage/governance';
import { ApiTags } from '@nestjs/swagger';

export const DATABASE = Symbol('DATABASE');

/** Liveness and Prometheus metrics: public, hold no data, not audited. */
@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  @Get('health')
  @Public()
  @PublicRouteDocs('Liveness', 'health')
  async health() {
    await this.db.sql`select 1`;
    return { status: 'ok' };
  }

  @Get('metrics')
  @Public()
  @PublicRouteDocs('Prometheus metrics', 'metrics')
  @Header('content-type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
