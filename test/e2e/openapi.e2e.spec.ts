import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { createAnalyticsApp, type AnalyticsApp } from '../../apps/analytics-api/src';
import { createGovernanceApp } from '../../apps/governance-api/src';

interface OpenApiDocument {
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  security?: Record<string, string[]>[];
  responses: Record<string, { schema?: object; content?: Record<string, { schema?: object }> }>;
}

/** Routes anyone may call without a token: they hold no data. */
const PUBLIC_ROUTES = ['/health', '/metrics'];

/**
 * Both APIs publish an OpenAPI document at /docs (JSON at /docs-json) that a newcomer can use
 * as is: the bearer scheme is required (so "Try it out" sends the token) and no route asks for
 * the Accept header as a required parameter. Every route documents what it answers (a response
 * schema) and whether it needs the token.
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

    it(`${name}: documents a response schema and the security of every route`, async () => {
      const base = name === 'analytics' ? analytics.url! : governanceUrl;
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as OpenApiDocument;
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ route: `${method} ${path}`, path, op })),
      );
      expect(operations.length).toBeGreaterThan(5);
      const problems: string[] = [];
      for (const { route, path, op } of operations) {
        const ok = Object.entries(op.responses ?? {}).filter(([status]) => /^2/.test(status));
        if (ok.length === 0) problems.push(`${route}: no success response`);
        for (const [status, response] of ok) {
          const schemas = response.content
            ? Object.values(response.content).map((c) => c.schema)
            : [response.schema];
          if (schemas.length === 0 || schemas.some((schema) => !schema))
            problems.push(`${route} ${status}: no response schema`);
        }
        const security = op.security ?? doc.security;
        const expected = PUBLIC_ROUTES.includes(path) ? [] : [{ bearer: [] }];
        if (JSON.stringify(security) !== JSON.stringify(expected))
          problems.push(`${route}: security ${JSON.stringify(security)}`);
        if (!PUBLIC_ROUTES.includes(path) && !op.responses?.['401'])
          problems.push(`${route}: 401 not documented`);
      }
      expect(problems).toEqual([]);
    });
  }
});
