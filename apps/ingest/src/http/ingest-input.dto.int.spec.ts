import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DsaRegistry, mintToken, type Role } from '@linkage/governance';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { createIngestApp } from './ingest-app';

/**
 * Every path and query parameter of the ingest API is a class-validator DTO (ingest.dto.ts)
 * checked by the one validation pipe: a bad one gets 400 naming it as a JSON Pointer, a stable
 * reason and, for a list, the allowed values, before anything runs (no ingest run, no event).
 * The messages never repeat the value given.
 */
describe('ingest API input validation (real HTTP, real governance)', () => {
  const secret = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ingest-dto-'));
  let harness: IngestHarness;
  let app: INestApplication;
  let base: string;

  const token = (role: Role) =>
    mintToken({ user: role, role, purpose: 'data-feed', dsa: 'DSA-DTO', ttl: '1h' }, secret).token;
  const call = async (method: 'GET' | 'POST', route: string, role: Role, body?: string) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token(role)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/x-ndjson' }),
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown> };
  };

  beforeAll(async () => {
    harness = await openIngestHarness();
    app = await createIngestApp({
      ...harness.deps,
      rawTopics: false,
      governance: { jwtSecret: secret, auditHeadFile: path.join(dir, 'head.json') },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await new DsaRegistry(harness.db.sql).add({
      ref: 'DSA-DTO',
      purposes: ['data-feed'],
      roles: ['ingest', 'linkage_officer'],
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await harness?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const record = '0b7b7a54-3a56-4d4e-9a3f-2f6c1c9a4e10';
  const person = 'a'.repeat(32);
  const other = 'b'.repeat(32);

  it.each<[string, 'GET' | 'POST', string, Role, string, string, readonly string[] | undefined]>([
    [
      'unknown source',
      'POST',
      '/v1/ingest/elsewhere',
      'ingest',
      '/source',
      'unknown_source',
      ['liferooms', 'cipha'],
    ],
    [
      'limit 0',
      'GET',
      '/v1/linkage/review?limit=0',
      'linkage_officer',
      '/limit',
      'limit_out_of_range',
      undefined,
    ],
    [
      'limit not a number',
      'GET',
      '/v1/linkage/review?limit=lots',
      'linkage_officer',
      '/limit',
      'limit_out_of_range',
      undefined,
    ],
    [
      'limit a fraction',
      'GET',
      '/v1/linkage/review?limit=2.5',
      'linkage_officer',
      '/limit',
      'limit_out_of_range',
      undefined,
    ],
    [
      'limit over the most',
      'GET',
      '/v1/linkage/review?limit=1001',
      'linkage_officer',
      '/limit',
      'limit_out_of_range',
      undefined,
    ],
    [
      'record not an event id',
      'POST',
      `/v1/linkage/review/rec-9/candidates/${person}/accept`,
      'linkage_officer',
      '/record',
      'not_an_event_id',
      undefined,
    ],
    [
      'candidate not a pseudonym',
      'POST',
      `/v1/linkage/review/${record}/candidates/XYZ/accept`,
      'linkage_officer',
      '/candidate',
      'not_a_pseudonym',
      undefined,
    ],
    [
      'unknown review decision',
      'POST',
      `/v1/linkage/review/${record}/candidates/${person}/perhaps`,
      'linkage_officer',
      '/decision',
      'unknown_decision',
      ['accept', 'reject'],
    ],
    [
      'merged not a pseudonym',
      'POST',
      `/v1/linkage/review/persons/nobody/merge/${other}?reason=duplicate_registration`,
      'linkage_officer',
      '/merged',
      'not_a_pseudonym',
      undefined,
    ],
    [
      'unknown person decision',
      'POST',
      `/v1/linkage/review/persons/${person}/fuse/${other}?reason=duplicate_registration`,
      'linkage_officer',
      '/decision',
      'unknown_decision',
      ['merge', 'split'],
    ],
    [
      'survivor not a pseudonym',
      'POST',
      `/v1/linkage/review/persons/${person}/merge/42?reason=duplicate_registration`,
      'linkage_officer',
      '/survivor',
      'not_a_pseudonym',
      undefined,
    ],
    [
      'no reason',
      'POST',
      `/v1/linkage/review/persons/${person}/merge/${other}`,
      'linkage_officer',
      '/reason',
      'reason_required',
      ['nhs_number_correction', 'duplicate_registration', 'merged_in_error'],
    ],
    [
      'unknown reason',
      'POST',
      `/v1/linkage/review/persons/${person}/merge/${other}?reason=because`,
      'linkage_officer',
      '/reason',
      'unknown_reason',
      ['nhs_number_correction', 'duplicate_registration', 'merged_in_error'],
    ],
  ])('%s: 400 naming %s', async (_name, method, route, role, field, reason, allowed) => {
    const res = await call(method, route, role, method === 'POST' ? '' : undefined);
    expect({
      status: res.status,
      error: res.body.error,
      field: res.body.field,
      reason: res.body.reason,
      allowed: res.body.allowed,
    }).toEqual({ status: 400, error: 'validation_failed', field, reason, allowed });
    expect(typeof res.body.message).toBe('string');
    for (const value of [
      'elsewhere',
      'lots',
      'rec-9',
      'XYZ',
      'perhaps',
      'nobody',
      'fuse',
      'because',
    ])
      expect(res.body.message).not.toContain(value);
  });

  it('lets valid parameters through: a review list with a limit, a person decision reaching the domain', async () => {
    const list = await call('GET', '/v1/linkage/review?limit=5', 'linkage_officer');
    expect({ status: list.status, candidates: list.body.candidates }).toEqual({
      status: 200,
      candidates: [],
    });
    // A split reason on a merge passes the DTO (a reason of some decision) and the domain refuses it.
    const split = await call(
      'POST',
      `/v1/linkage/review/persons/${person}/merge/${other}?reason=merged_in_error`,
      'linkage_officer',
      '',
    );
    expect({ status: split.status, field: split.body.field, reason: split.body.reason }).toEqual({
      status: 400,
      field: '/reason',
      reason: 'invalid_value',
    });
  });

  it('ran nothing for a refused request: no ingest run, no event', async () => {
    const [table] = await harness.db.sql<{ exists: boolean }[]>`
      select to_regclass('ingest.ingest_runs') is not null as exists`;
    if (table.exists) {
      const [runs] = await harness.db.sql<{ n: number }[]>`
        select count(*)::int as n from ingest.ingest_runs`;
      expect(runs.n).toBe(0);
    }
    expect(await harness.events()).toHaveLength(0);
  });
});
