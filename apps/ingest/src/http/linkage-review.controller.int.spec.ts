import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AuditTrail, DsaRegistry, mintToken, type Role } from '@linkage/governance';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { testNhsNumbers } from '../testing/ingest-fixtures';
import { reviewBandExtract } from '../testing/review-band';
import { runFileIngest } from '../pipeline/run-file-ingest';
import { createIngestApp } from './ingest-app';

/**
 * The clerical review API over real HTTP with the real governance gate: a linkage officer lists
 * the pair in the review band by field-level similarities only and accepts or rejects it (each
 * decision an event, each call audited); an analyst is refused, and the refusal audited. No
 * response carries an identifier.
 */
const [nhs] = testNhsNumbers(1, 5);
/** Every identifier of the extract, as a pattern (names, date of birth, postcodes, NHS number). */
const IDENTIFIERS = new RegExp(
  ['aur[ei]lia', 'quennell', '1980-03-04', 'l9 ?2af', 'l4 ?0th', nhs].join('|'),
  'i',
);

describe('clerical review API (real HTTP, real governance)', () => {
  const secret = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-review-http-'));
  let harness: IngestHarness;
  let app: INestApplication;
  let base: string;
  let audit: AuditTrail;

  const token = (role: Role, user: string) =>
    mintToken({ user, role, purpose: 'linkage-qa', dsa: 'DSA-LINK', ttl: '1h' }, secret).token;
  const call = async (method: 'GET' | 'POST', route: string, bearer: string) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${bearer}` },
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as unknown) : null };
  };

  beforeAll(async () => {
    // A fixed key: Bloom-filter bits depend on it, and the pair must score in the review band.
    harness = await openIngestHarness({ key: Buffer.alloc(32, 7) });
    app = await createIngestApp({
      ...harness.deps,
      embeddedWriter: true,
      rawTopics: false,
      governance: { jwtSecret: secret, auditHeadFile: path.join(dir, 'head.json') },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await new DsaRegistry(harness.db.sql).add({
      ref: 'DSA-LINK',
      purposes: ['linkage-qa'],
      roles: ['linkage_officer', 'analyst'],
    });
    audit = new AuditTrail(harness.db.sql, { headFile: path.join(dir, 'head.json') });
    const file = path.join(dir, 'liferooms.ndjson');
    fs.writeFileSync(file, reviewBandExtract(nhs));
    await runFileIngest({
      ...harness.deps,
      source: 'liferooms',
      files: [file],
      embeddedWriter: true,
      progress: false,
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await harness?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  interface Listed {
    candidates: {
      recordEventId: string;
      candidatePersonId: string;
      weight: number;
      similarities: Record<string, number | null>;
    }[];
  }

  it('lists the pair for a linkage officer by field-level similarities and score only', async () => {
    const res = await call('GET', '/v1/linkage/review', token('linkage_officer', 'lou'));
    expect(res.status).toBe(200);
    const { candidates } = res.body as Listed;
    expect(candidates).toHaveLength(1);
    expect(Object.keys(candidates[0]).sort()).toEqual([
      'candidatePersonId',
      'recordEventId',
      'recordType',
      'similarities',
      'status',
      'weight',
    ]);
    expect(candidates[0].similarities).toMatchObject({ familyName: 1, dateOfBirth: 1 });
    expect(candidates[0].similarities.givenName).toBeLessThan(0.99);
    expect(res.text).not.toMatch(IDENTIFIERS);
  });

  it('refuses an analyst (403) and changes nothing', async () => {
    const listed = await call('GET', '/v1/linkage/review', token('linkage_officer', 'lou'));
    const [c] = (listed.body as Listed).candidates;
    const list = await call('GET', '/v1/linkage/review', token('analyst', 'ana'));
    expect(list).toMatchObject({
      status: 403,
      body: { error: 'forbidden', reason: 'role_lacks_permission' },
    });
    const decide = await call(
      'POST',
      `/v1/linkage/review/${c.recordEventId}/candidates/${c.candidatePersonId}/accept`,
      token('analyst', 'ana'),
    );
    expect(decide).toMatchObject({ status: 403, body: { reason: 'role_lacks_permission' } });
    const events = await harness.events();
    expect(events.filter((e) => e.type === 'RecordLinked')).toHaveLength(0);
  });

  it('accepts the pair as a clerical RecordLinked event, then rejects it as RecordUnlinked', async () => {
    const officer = token('linkage_officer', 'lou');
    const [c] = ((await call('GET', '/v1/linkage/review', officer)).body as Listed).candidates;
    const route = `/v1/linkage/review/${c.recordEventId}/candidates/${c.candidatePersonId}`;
    const accepted = await call('POST', `${route}/accept`, officer);
    expect(accepted).toMatchObject({ status: 200, body: { status: 'linked', events: 1 } });
    expect(accepted.text).not.toMatch(IDENTIFIERS);
    const linked = (await harness.eventsWhenVisible(3)).filter((e) => e.type === 'RecordLinked');
    expect(linked).toHaveLength(1);
    expect(linked[0].streamId).toBe(`person-${c.candidatePersonId}`);
    expect(linked[0].data).toMatchObject({ method: 'clerical', eventIds: [c.recordEventId] });
    expect(
      (await call('GET', '/v1/linkage/review', officer).then((r) => r.body)) as Listed,
    ).toEqual({ candidates: [] });

    const rejected = await call('POST', `${route}/reject`, officer);
    expect(rejected).toMatchObject({ status: 200, body: { status: 'unlinked', events: 1 } });
    const types = (await harness.eventsWhenVisible(4))
      .map((e) => e.type)
      .filter((t) => t.startsWith('Record'));
    expect(types).toEqual(['RecordLinked', 'RecordUnlinked']);
  });

  it('answers a bad decision 400 and an unknown pair 404, naming the field, never a value', async () => {
    const officer = token('linkage_officer', 'lou');
    const [row] = await harness.db.sql<{ event_id: string; person_id: string }[]>`
      select event_id::text as event_id, person_id from linkage.candidate_pairs`;
    const bad = await call(
      'POST',
      `/v1/linkage/review/${row.event_id}/candidates/${row.person_id}/perhaps`,
      officer,
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/decision');
    const unknown = await call(
      'POST',
      `/v1/linkage/review/${row.event_id}/candidates/${'f'.repeat(32)}/accept`,
      officer,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.text).not.toContain('f'.repeat(32));
  });

  it('audits every call: the officer’s decisions ok, the analyst’s refusals denied', async () => {
    const entries = [
      ...(await audit.search({ action: 'linkage.review.list' }, { order: 'asc', pageSize: 100 }))
        .entries,
      ...(await audit.search({ action: 'linkage.review.decide' }, { order: 'asc', pageSize: 100 }))
        .entries,
    ].sort((a, b) => Number(a.sequence) - Number(b.sequence));
    const summary = entries.map((e) => [e.action, e.actor, e.role, e.outcome, e.httpStatus]);
    expect(summary).toEqual([
      ['linkage.review.list', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.list', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.list', 'ana', 'analyst', 'denied', 403],
      ['linkage.review.decide', 'ana', 'analyst', 'denied', 403],
      ['linkage.review.list', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.decide', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.list', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.decide', 'lou', 'linkage_officer', 'ok', 200],
      ['linkage.review.decide', 'lou', 'linkage_officer', 'error', 400],
      ['linkage.review.decide', 'lou', 'linkage_officer', 'error', 404],
    ]);
    for (const e of entries) expect(e.purpose === 'linkage-qa' && e.dsa === 'DSA-LINK').toBe(true);
    expect(JSON.stringify(entries)).not.toMatch(IDENTIFIERS);
    expect((await audit.verify()).intact).toBe(true);
  });
  it('merges and splits two persons for a linkage officer only, as audited events', async () => {
    const [{ person_id: survivor }] = await harness.db.sql<{ person_id: string }[]>`
      select person_id from linkage.candidate_pairs`;
    const merged = 'e'.repeat(32);
    const route = (decision: string, reason: string) =>
      `/v1/linkage/review/persons/${merged}/${decision}/${survivor}?reason=${reason}`;
    const officer = token('linkage_officer', 'lou');
    expect(
      await call('POST', route('merge', 'duplicate_registration'), token('analyst', 'ana')),
    ).toMatchObject({ status: 403, body: { reason: 'role_lacks_permission' } });
    expect(await call('POST', route('merge', 'because'), officer)).toMatchObject({
      status: 400,
      body: { field: '/reason', reason: 'unknown_reason' },
    });
    expect(await call('POST', route('merge', 'duplicate_registration'), officer)).toMatchObject({
      status: 200,
      body: { decision: 'merge', attributedTo: survivor, events: 1 },
    });
    expect(await call('POST', route('split', 'merged_in_error'), officer)).toMatchObject({
      status: 200,
      body: { decision: 'split', attributedTo: merged, events: 1 },
    });
    const log = await harness.eventsWhenVisible(6);
    expect(log.filter((e) => e.streamId === `person-${merged}`).map((e) => e.type)).toEqual([
      'PersonsMerged',
      'PersonsSplit',
    ]);
    const { entries } = await audit.search(
      { action: 'linkage.persons.decide' },
      { order: 'asc', pageSize: 100 },
    );
    expect(entries.map((e) => [e.actor, e.outcome, e.httpStatus, e.parameters.decision])).toEqual([
      ['ana', 'denied', 403, undefined],
      ['lou', 'error', 400, 'merge'],
      ['lou', 'ok', 200, 'merge'],
      ['lou', 'ok', 200, 'split'],
    ]);
  });
});
