import type { INestApplication } from '@nestjs/common';
import { createIngestApp } from '../../../ingest/src';
import { startProjector } from '../../../projector/src';
import { createAnalyticsApp, type AnalyticsApp } from '../../../analytics-api/src';
import { createGovernanceApp } from '../../../governance-api/src';
import { WebModule } from '../../../web/src';
import { freePort } from './free-port';
import type { DemoRun } from './demo-run';

export interface DemoUrls {
  analytics: string;
  analyticsDocs: string;
  governance: string;
  ingest: string;
  /** The web page (served by the analytics app). */
  page: string;
}

/** The three APIs the demo serves; `close` shuts whichever of them started. */
export class DemoApis {
  analytics?: AnalyticsApp;
  private readonly others: INestApplication[] = [];

  /** Analytics (with the web page), governance and ingest on `basePort` and the two after it. */
  async start({ runtime, jwtKey }: DemoRun, basePort: number): Promise<DemoUrls> {
    const portAfter = (offset: number) => (basePort === 0 ? 0 : basePort + offset);
    const analytics = await createAnalyticsApp({
      modules: [WebModule.forRoot({ db: runtime.db })], // the web page on the analytics origin
      db: runtime.db,
      store: runtime.store,
      port: await freePort(basePort),
      jwtSecret: jwtKey,
    });
    this.analytics = analytics;
    const governance = await createGovernanceApp({
      db: runtime.db,
      port: await freePort(portAfter(1)),
      jwtSecret: jwtKey,
    });
    this.others.push(governance);
    const ingest = await createIngestApp({
      ...runtime,
      store: runtime.store,
      embeddedWriter: true,
      rawTopics: false,
      governance: { jwtSecret: jwtKey },
    });
    await ingest.listen(await freePort(portAfter(2)), '127.0.0.1');
    this.others.push(ingest);
    return {
      analytics: analytics.url!,
      analyticsDocs: `${analytics.url}/docs`,
      page: `${analytics.url}/`,
      governance: (await governance.getUrl()).replace('[::1]', '127.0.0.1'),
      ingest: (await ingest.getUrl()).replace('[::1]', '127.0.0.1'),
    };
  }

  async close(): Promise<void> {
    await this.analytics?.close();
    for (const app of this.others.reverse()) await app.close();
  }
}

/** Serves until Ctrl-C; records posted to the ingest API meanwhile reach the read models too. */
export async function serveUntilStopped({ runtime, onOptOutsProcessed }: DemoRun): Promise<void> {
  const projector = startProjector({
    sql: runtime.db.sql,
    store: runtime.store,
    logger: runtime.logger,
    onOptOutsProcessed,
  });
  process.stderr.write('Serving; press Ctrl-C to stop.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await projector.stop();
}
