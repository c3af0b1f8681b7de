import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { createGovernanceApp } from '../../apps/governance-api/src';

/**
 * The README names every route of the governance API, as its OpenAPI document lists them (the
 * issue found the README silent on them). `/health` and `/metrics` are named once for every
 * service; path parameters compare by position, whatever their names.
 */
describe('README: the governance routes', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let governance: INestApplication;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_readme');
    db = await openDatabase({ url: fresh.url, max: 2 });
    governance = await createGovernanceApp({ db, port: 0, jwtSecret: randomBytes(32) });
  });
  afterAll(async () => {
    await governance?.close();
    await db?.close();
    await fresh?.drop();
  });

  const shape = (route: string) => route.replace(/\{[^}]+\}|:[a-z_]+/gi, '{}');

  it('names each route of the OpenAPI document', async () => {
    const url = (await governance.getUrl()).replace('[::1]', '127.0.0.1');
    const doc = (await (await fetch(`${url}/docs-json`)).json()) as {
      paths: Record<string, object>;
    };
    const routes = Object.keys(doc.paths).map(shape);
    expect(routes).toEqual(expect.arrayContaining(['/v1/audit', '/health']));
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const named = new Set(
      [...readme.matchAll(/`(?:[A-Z]+ )?(\/[^`\s]*)`/g)].map((m) => shape(m[1])),
    );
    expect(routes.filter((route) => !named.has(route))).toEqual([]);
  });
});
