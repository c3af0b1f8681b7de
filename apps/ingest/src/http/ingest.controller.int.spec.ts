import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AuditTrail, DsaRegistry, mintToken, type Role } from '@linkage/governance';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import {
  capturedLogger,
  dumpAllTables,
  findIdentifiers,
  identifierNeedles,
  mixedExtract,
} from '../testing/ingest-fixtures';
import type { IngestSummary } from '../pipeline/ingest-summary';
import { createIngestApp } from './ingest-app';

/**
 * `POST /v1/ingest/{source}` over real HTTP (port 0), the body streamed in chunks that cut lines
 * in half, against a fresh PostgreSQL database with the in-process transport and an embedded
 * event writer. Governance is the real one: tokens, DSA registry, audit trail.
 */
describe('POST /v1/ingest/{source} (real HTTP, real PostgreSQL)', () => {
  const secret = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ingest-http-'));
  const extract = mixedExtract(12, { seed: 7 });
  const body = extract.lines.join('\n') + '\n';
  const badTotal = Object.values(extract.bad).reduce((a, b) => a + b, 0);
  const { logger, lines: logLines } = capturedLogger();
  let harness: IngestHarness;
  let app: INestApplication;
  let base: string;
  let audit: AuditTrail;

  const token = (role: Role, user: string) =>
    mintToken({ user, role, purpose: 'data-feed', dsa: 'DSA-FEED', ttl: '1h' }, secret).token;

  /** Streams `text` as a request body in small chunks (never one buffer). */
  function post(source: string, text: string, bearer?: string): Promise<Response> {
    const chunks = text.match(/[\s\S]{1,97}/g) ?? [];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    return fetch(`${base}/v1/ingest/${source}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: stream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
  }

  beforeAll(async () => {
    harness = await openIngestHarness({ logger });
    app = await createIngestApp({
      ...harness.deps,
      embeddedWriter: true,
      rawTopics: false,
      governance: { jwtSecret: secret, auditHeadFile: path.join(dir, 'head.json') },
    });
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${address.port}`;
    // The governance schema exists once the app is up.
    await new DsaRegistry(harness.db.sql).add({
      ref: 'DSA-FEED',
      purposes: ['data-feed'],
      roles: ['ingest', 'analyst'],
    });
    audit = new AuditTrail(harness.db.sql, { headFile: path.join(dir, 'head.json') });
  });

  afterAll(async () => {
    await app?.close();
    await harness?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ingests a streamed NDJSON body with an ingest token and answers with the exact summary', async () => {
    const res = await post('cipha', body, token('ingest', 'feed-bot'));
    expect(res.status).toBe(200);
    const summary = (await res.json()) as IngestSummary;
    expect(summary).toMatchObject({
      source: 'cipha',
      records: extract.lines.length,
      accepted: extract.valid,
      duplicates: extract.resent,
      rejected: badTotal,
      rejectedByReason: extract.bad,
      linked: extract.valid,
      unlinked: 0,
    });
    expect(await harness.eventsWhenVisible(extract.valid)).toHaveLength(extract.valid);
    const letters = await harness.deadLetters('cipha');
    expect(letters.map((l) => l.reason).sort()).toEqual(
      Object.entries(extract.bad)
        .flatMap(([reason, n]) => Array<string>(n).fill(reason))
        .sort(),
    );
  });

  it('stores nothing new when the same body is posted again', async () => {
    const res = await post('cipha', body, token('ingest', 'feed-bot'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accepted: 0,
      duplicates: extract.valid + extract.resent,
      rejected: badTotal,
    });
    expect(await harness.events()).toHaveLength(extract.valid);
  });

  it('answers 401 without a token and reads nothing', async () => {
    const runsBefore = await harness.db.sql`select count(*)::int as n from ingest.ingest_runs`;
    const res = await post('cipha', body);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ error: 'unauthenticated', reason: 'token_missing' });
    const runsAfter = await harness.db.sql`select count(*)::int as n from ingest.ingest_runs`;
    expect(runsAfter[0].n).toBe(runsBefore[0].n);
  });

  it('answers 403 to an analyst token (role lacks permission ingest)', async () => {
    const res = await post('liferooms', extract.liferoomsLines.join('\n'), token('analyst', 'ana'));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden', reason: 'role_lacks_permission' });
    expect((await harness.events()).filter((e) => e.data.source === 'liferooms')).toHaveLength(0);
  });

  it('answers 400 to an unknown source', async () => {
    const res = await post('elsewhere', body, token('ingest', 'feed-bot'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: 'unknown_source' });
  });

  it('audits every call: who, role, purpose, DSA, outcome, status and size, in an intact chain', async () => {
    const page = await audit.search({ action: 'ingest.run' }, { order: 'asc', pageSize: 100 });
    expect(
      page.entries.map((e) => ({
        actor: e.actor,
        role: e.role,
        purpose: e.purpose,
        dsa: e.dsa,
        outcome: e.outcome,
        httpStatus: e.httpStatus,
        reason: e.reason,
        resultSize: e.resultSize,
        source: e.parameters.source,
      })),
    ).toEqual([
      {
        actor: 'feed-bot',
        role: 'ingest',
        purpose: 'data-feed',
        dsa: 'DSA-FEED',
        outcome: 'ok',
        httpStatus: 200,
        reason: null,
        resultSize: extract.lines.length,
        source: 'cipha',
      },
      {
        actor: 'feed-bot',
        role: 'ingest',
        purpose: 'data-feed',
        dsa: 'DSA-FEED',
        outcome: 'ok',
        httpStatus: 200,
        reason: null,
        resultSize: extract.lines.length,
        source: 'cipha',
      },
      {
        actor: 'anonymous',
        role: null,
        purpose: null,
        dsa: null,
        outcome: 'denied',
        httpStatus: 401,
        reason: 'token_missing',
        resultSize: null,
        // A refusal records the route and the reason only.
        source: undefined,
      },
      {
        actor: 'ana',
        role: 'analyst',
        purpose: 'data-feed',
        dsa: 'DSA-FEED',
        outcome: 'denied',
        httpStatus: 403,
        reason: 'role_lacks_permission',
        resultSize: null,
        source: undefined,
      },
      {
        actor: 'feed-bot',
        role: 'ingest',
        purpose: 'data-feed',
        dsa: 'DSA-FEED',
        outcome: 'error',
        httpStatus: 400,
        reason: 'unknown_source',
        resultSize: null,
        source: 'elsewhere',
      },
    ]);
    expect((await audit.verify()).intact).toBe(true);
  });

  it('leaves no identifier in any table or log line', async () => {
    const needles = identifierNeedles(extract.identifiers);
    expect(findIdentifiers(body, needles).length).toBeGreaterThan(0);
    expect(findIdentifiers(await dumpAllTables(harness.url), needles)).toEqual([]);
    expect(findIdentifiers(logLines.join(''), needles)).toEqual([]);
  });
});
