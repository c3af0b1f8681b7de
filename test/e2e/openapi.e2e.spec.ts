import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { createAnalyticsApp, type AnalyticsApp } from '../../apps/analytics-api/src';
import { createGovernanceApp } from '../../apps/governance-api/src';

interface OpenApiDocument {
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; scheme: string }> };
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>
  >;
}

/**
 * Both APIs publish an OpenAPI document at /docs (JSON at /docs-json) that a newcomer can use
 * as is: the bearer scheme is required (so "Try it out" sends the token) and no route asks for
 * the Accept header as a required parameter.
 */
describe('OpenAPI documents of both APIs', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let analytics: AnalyticsApp;
  let governance: INestApplication;
  let governanceUrl: string;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_openapi');
    db = await openDatabase({ url: fresh.url, max: 4 });
    const jwtSecret = randomBytes(32);
    analytics = await createAnalyticsApp({ db, port: 0, jwtSecret });
    governance = await createGovernanceApp({ db, port: 0, jwtSecret });
    governanceUrl = (await governance.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await analytics?.close();
    await governance?.close();
    await db?.close();
    await fresh?.drop();
  });

  for (const name of ['analytics', 'governance'] as const) {
    it(`${name}: serves /docs, requires the bearer scheme, and no required Accept parameter`, async () => {
      const base = name === 'analytics' ? analytics.url! : governanceUrl;
      expect((await fetch(`${base}/docs`)).status).toBe(200);
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as OpenApiDocument;
      expect(doc.security).toEqual([{ bearer: [] }]);
      expect(doc.components?.securitySchemes?.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      const routes = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
      expect(routes.length).toBeGreaterThan(2);
      const acceptParams = routes.flatMap((r) =>
        (r.parameters ?? []).filter((p) => p.in === 'header' && p.name.toLowerCase() === 'accept'),
      );
      expect(acceptParams.filter((p) => p.required)).toEqual([]);
      expect(acceptParams.filter((p) => p.name === 'accept')).toEqual([]);
    });
  }
});
