import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { openDatabase, type Database } from '@linkage/database';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { createFreshDatabase } from '@linkage/testing';
import { createAnalyticsApp, type AnalyticsApp } from '../../apps/analytics-api/src';
import { createGovernanceApp } from '../../apps/governance-api/src';

/**
 * Every HTTP input is a class-validator DTO checked by one validation pipe: a bad query
 * parameter, path parameter or body gets 400 naming the parameter (a JSON Pointer) and a stable
 * reason, with the allowed values where there is a list, before any query runs.
 */
describe('HTTP input validation of both APIs', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let db: Database;
  let analytics: AnalyticsApp;
  let governance: INestApplication;
  let governanceUrl: string;
  let analyst: string;
  let checker: string;
  let officer: string;

  beforeAll(async () => {
    fresh = await createFreshDatabase('linkage_validation');
    db = await openDatabase({ url: fresh.url, max: 4 });
    const jwtSecret = randomBytes(32);
    analytics = await createAnalyticsApp({ db, port: 0, jwtSecret });
    governance = await createGovernanceApp({ db, port: 0, jwtSecret });
    governanceUrl = (await governance.getUrl()).replace('[::1]', '127.0.0.1');
    await new DsaRegistry(db.sql).add({
      ref: 'dsa-validation',
      purposes: ['evaluation'],
      roles: ['analyst', 'output_checker', 'governance-officer'],
    });
    const token = (role: 'analyst' | 'output_checker' | 'governance-officer') =>
      mintToken({ user: role, role, purpose: 'evaluation', dsa: 'dsa-validation' }, jwtSecret)
        .token;
    analyst = token('analyst');
    checker = token('output_checker');
    officer = token('governance-officer');
  }, 60_000);
  afterAll(async () => {
    await analytics?.close();
    await governance?.close();
    await db?.close();
    await fresh?.drop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${analytics.url}${path}`, {
      headers: { authorization: `Bearer ${analyst}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = async (path: string, body: unknown, bearer = analyst) => {
    const res = await fetch(`${governanceUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** A 400 of the validation pipe naming the field and reason, with a message for people. */
  const expectRefused = (
    { status, body }: { status: number; body: Record<string, unknown> },
    field: string,
    reason: string,
  ) => {
    expect({ status, error: body.error, field: body.field, reason: body.reason }).toEqual({
      status: 400,
      error: 'validation_failed',
      field,
      reason,
    });
    expect(typeof body.message).toBe('string');
  };

  it.each([
    ['/v1/outcomes', '/measure', 'measure_required'],
    ['/v1/outcomes?measure=', '/measure', 'measure_required'],
    ['/v1/outcomes?measure=nope', '/measure', 'unknown_measure'],
    ['/v1/outcomes?measure=crisis&before=abc', '/before', 'months_out_of_range'],
    ['/v1/outcomes?measure=crisis&before=0', '/before', 'months_out_of_range'],
    ['/v1/outcomes?measure=crisis&before=7', '/before', 'window_not_on_grid'],
    ['/v1/outcomes?measure=crisis&after=63', '/after', 'months_out_of_range'],
    ['/v1/outcomes?measure=crisis&after=12.5', '/after', 'months_out_of_range'],
    ['/v1/outcomes?measure=crisis&washout=-1', '/washout', 'washout_out_of_range'],
    ['/v1/outcomes?measure=crisis&before=12&washout=12', '/washout', 'washout_out_of_range'],
    ['/v1/outcomes/event-study', '/measure', 'measure_required'],
    ['/v1/breakdowns/nope?measure=ae', '/dimension', 'unknown_dimension'],
    ['/v1/breakdowns/site', '/measure', 'measure_required'],
    ['/v1/segments?ruleset=Not%20One', '/ruleset', 'unknown_ruleset'],
    ['/v1/segments/nodot', '/id', 'invalid_segment_id'],
    ['/v1/segments/system-p.frailty?measure=nope', '/measure', 'unknown_measure'],
    ['/v1/segments/system-p.frailty/areas?level=street', '/level', 'unknown_level'],
  ])('GET %s: 400 naming %s, %s', async (path, field, reason) => {
    const { status, body } = await get(path);
    expectRefused({ status, body }, field, reason);
  });

  it('lists the allowed values with an unknown or missing value from a list', async () => {
    const { body } = await get('/v1/outcomes?measure=nope');
    expect(body.allowed).toEqual(expect.arrayContaining(['crisis', 'ae', 'gp']));
    expect(body.message).toMatch(/unknown measure: one of .*crisis/);
    const level = await get('/v1/segments/system-p.frailty/areas?level=street');
    expect(level.body.allowed).toEqual(expect.arrayContaining(['lsoa']));
  });

  it('lets valid parameters through to the query', async () => {
    for (const path of [
      '/v1/outcomes?measure=crisis&before=12&after=24&washout=3',
      '/v1/breakdowns/site?measure=ae',
      '/v1/segments?ruleset=system-p',
    ]) {
      const { status } = await get(path);
      expect([path, status === 400]).toEqual([path, false]);
    }
  });

  it.each([
    [{}, '/output', 'output_required'],
    [{ output: 'everything' }, '/output', 'unknown_output'],
    [{ output: 'cohort', parameters: 'all' }, '/parameters', 'parameters_not_an_object'],
    [{ output: 'cohort', justification: 42 }, '/justification', 'justification_not_text'],
  ])('POST /v1/releases %j: 400 naming %s, %s', async (body, field, reason) => {
    const res = await post('/v1/releases', body);
    expect({ status: res.status, field: res.body.field, reason: res.body.reason }).toEqual({
      status: 400,
      field,
      reason,
    });
  });

  it('refuses a review decision other than approve or reject, naming the field', async () => {
    const res = await post('/v1/releases/r-1/review', { decision: 'maybe', reason: 'x' }, checker);
    expect({ status: res.status, field: res.body.field, reason: res.body.reason }).toEqual({
      status: 400,
      field: '/decision',
      reason: 'decision_must_be_approve_or_reject',
    });
    expect(res.body.allowed).toEqual(['approve', 'reject']);
  });

  const audit = async (path: string) => {
    const res = await fetch(`${governanceUrl}${path}`, {
      headers: { authorization: `Bearer ${officer}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it.each([
    ['/v1/audit?outcome=maybe', '/outcome', 'outcome_invalid'],
    ['/v1/audit?from=yesterday', '/from', 'date_invalid'],
    ['/v1/audit?to=2025-13-40', '/to', 'date_invalid'],
    ['/v1/audit?page=0', '/page', 'not_a_positive_integer'],
    ['/v1/audit?pageSize=ten', '/pageSize', 'not_a_positive_integer'],
    ['/v1/audit?pageSize=2.5', '/pageSize', 'not_a_positive_integer'],
    ['/v1/audit?actor=a&actor=b', '/actor', 'not_a_string'],
    ['/v1/audit/export?outcome=maybe', '/outcome', 'outcome_invalid'],
    ['/v1/audit/export?from=yesterday', '/from', 'date_invalid'],
    ['/v1/audit/reports/monthly', '/month', 'month_invalid'],
    ['/v1/audit/reports/monthly?month=2024-13', '/month', 'month_invalid'],
    ['/v1/audit/reports/monthly?month=March', '/month', 'month_invalid'],
  ])('GET %s (governance API): 400 naming %s, %s', async (path, field, reason) => {
    const { status, body } = await audit(path);
    expectRefused({ status, body }, field, reason);
    for (const value of ['maybe', 'yesterday', 'ten', 'March'])
      expect(body.message).not.toContain(value);
  });

  it('lists the outcomes an audit search accepts, and lets valid filters through', async () => {
    expect((await audit('/v1/audit?outcome=maybe')).body.allowed).toEqual([
      'ok',
      'denied',
      'error',
    ]);
    for (const path of [
      '/v1/audit?outcome=denied&from=2025-01-01&to=2025-02-01T00:00:00Z&page=1&pageSize=5',
      '/v1/audit?actor=',
      '/v1/audit/reports/monthly?month=2025-03',
    ]) {
      const { status } = await audit(path);
      expect([path, status]).toEqual([path, 200]);
    }
  });

  it.each([
    [
      '/v1/releases?status=pending',
      '/status',
      'unknown_status',
      ['requested', 'approved', 'rejected'],
    ],
    ['/v1/releases/r-1/file?format=xml', '/format', 'unknown_format', ['json', 'csv']],
  ])('GET %s (governance API): 400 naming %s, %s', async (path, field, reason, allowed) => {
    const res = await fetch(`${governanceUrl}${path}`, {
      headers: { authorization: `Bearer ${analyst}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect({
      status: res.status,
      field: body.field,
      reason: body.reason,
      allowed: body.allowed,
    }).toEqual({
      status: 400,
      field,
      reason,
      allowed,
    });
  });
});
