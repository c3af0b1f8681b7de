import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DsaRegistry, mintToken } from '@linkage/governance';
import { eventually } from '@linkage/testing';
import { openIngestHarness, type IngestHarness } from '../../../../test/fixtures/ingest-harness';
import { capturedLogger, mixedExtract, testNhsNumbers } from '../testing/ingest-fixtures';
import type { IngestSummary } from '../pipeline/ingest-summary';
import { createIngestApp } from './ingest-app';

const MiB = 1 << 20;

/**
 * What `POST /v1/ingest/{source}` accepts, over real HTTP against real PostgreSQL (in-process
 * transport, embedded event writer): media types, encodings, line and body limits, the first
 * rejections in the reply, idempotent dead letters, and runs that end when the client leaves.
 */
describe('POST /v1/ingest/{source}: input limits and encodings (real HTTP, real PostgreSQL)', () => {
  const secret = randomBytes(32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ingest-input-'));
  const { logger, lines: logLines } = capturedLogger();
  const extract = mixedExtract(6, { seed: 9 });
  const nhs = testNhsNumbers(3, 0);
  let harness: IngestHarness;
  let app: INestApplication;
  let base: string;
  const bearer = mintToken(
    { user: 'feed-bot', role: 'ingest', purpose: 'data-feed', dsa: 'DSA-FEED', ttl: '1h' },
    secret,
  ).token;

  /** POSTs a streamed body made of the given parts (strings or byte arrays), one chunk each. */
  function post(
    source: string,
    parts: Iterable<string | Uint8Array>,
    contentType: string | null = 'application/x-ndjson',
    signal?: AbortSignal,
  ): Promise<Response> {
    const it = parts[Symbol.iterator]();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = it.next();
        if (next.done) controller.close();
        else
          controller.enqueue(
            typeof next.value === 'string' ? new TextEncoder().encode(next.value) : next.value,
          );
      },
    });
    return fetch(`${base}/v1/ingest/${source}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(contentType ? { 'content-type': contentType } : {}),
      },
      body: stream,
      duplex: 'half',
      signal,
    } as RequestInit & { duplex: 'half' });
  }
  const runCount = async () =>
    (await harness.db.sql<{ n: number }[]>`select count(*)::int as n from ingest.ingest_runs`)[0].n;

  beforeAll(async () => {
    harness = await openIngestHarness({ logger });
    app = await createIngestApp({
      ...harness.deps,
      embeddedWriter: true,
      rawTopics: false,
      governance: { jwtSecret: secret, auditHeadFile: path.join(dir, 'head.json') },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await new DsaRegistry(harness.db.sql).add({
      ref: 'DSA-FEED',
      purposes: ['data-feed'],
      roles: ['ingest'],
    });
  });

  afterAll(async () => {
    delete process.env.LINKAGE_INGEST_MAX_BODY_BYTES;
    await app?.close();
    await harness?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 415 to a body that is neither NDJSON nor CSV, before reading it', async () => {
    const before = await runCount();
    for (const type of ['text/plain', 'application/json', null]) {
      const res = await post('cipha', extract.lines, type);
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ reason: 'unsupported_media_type' });
    }
    expect(await runCount()).toBe(before);
  });

  it('lists the first rejections with line, field and reason, and writes each dead letter once', async () => {
    const body = extract.lines.map((l) => `${l}\n`);
    const first = (await (await post('cipha', body)).json()) as IngestSummary;
    expect(first.status).toBe('stored');
    const badLines = extract.lines
      .map((l, i) => ({ l, line: i + 1 }))
      .filter(({ l }) => !l.startsWith('{"record_id":"reg-') && !l.startsWith('{"record_id":"gp-'));
    expect(first.firstRejections.map((r) => r.line)).toEqual(badLines.map((b) => b.line));
    expect(first.firstRejections).toContainEqual({
      line: expect.any(Number),
      recordId: 'bad-nhs-9',
      field: '/nhs_number',
      reason: 'invalid_nhs_number',
    });
    const letters = (await harness.deadLetters('cipha')).length;
    expect(letters).toBe(first.rejected);
    // The same extract again (a retry, a rerun of the demo): no new dead letter.
    const again = (await (await post('cipha', body)).json()) as IngestSummary;
    expect(again.rejected).toBe(first.rejected);
    expect(await harness.deadLetters('cipha')).toHaveLength(letters);
  });

  it('honours the media type: CSV as CSV, and CSV sent as NDJSON is not JSON', async () => {
    const csv = [
      'record_id,record_type,occurred_at,nhs_number,practice_code,mode\n',
      `csv-gp-1,gp_appointment,2023-03-01T10:00:00Z,${nhs[0]},N82001,telephone\n`,
    ];
    const asCsv = (await (
      await post('cipha', csv, 'text/csv; charset=utf-8')
    ).json()) as IngestSummary;
    expect(asCsv).toMatchObject({ status: 'stored', records: 1, accepted: 1, rejected: 0 });
    const asNdjson = (await (await post('cipha', csv)).json()) as IngestSummary;
    expect(asNdjson).toMatchObject({ records: 2, rejected: 2, rejectedByReason: { not_json: 2 } });
  });

  it('strips a byte-order mark and rejects a line that is not UTF-8 as invalid_encoding', async () => {
    const good = JSON.stringify({
      record_id: 'bom-gp-1',
      record_type: 'gp_appointment',
      occurred_at: '2023-03-02T10:00:00Z',
      nhs_number: nhs[1],
      practice_code: 'N82001',
      mode: 'telephone',
    });
    const latin1 = Buffer.concat([
      Buffer.from('{"record_id":"enc-1","record_type":"gp_appointment","practice_code":"N82'),
      Buffer.from([0xe9, 0xff]),
      Buffer.from('"}\n'),
    ]);
    const res = await post('cipha', [Buffer.from([0xef, 0xbb, 0xbf]), `${good}\n`, latin1]);
    const summary = (await res.json()) as IngestSummary;
    expect(summary).toMatchObject({ records: 2, accepted: 1, rejected: 1 });
    expect(summary.firstRejections).toEqual([
      { line: 2, recordId: null, field: '', reason: 'invalid_encoding' },
    ]);
    const events = await harness.events();
    expect(events.some((e) => e.data.recordId === 'bom-gp-1')).toBe(true);
    expect(events.some((e) => e.data.recordId === 'enc-1')).toBe(false);
  });

  it('rejects a 50 MB line as line_too_long without holding it, while other routes answer', async () => {
    const good = (id: string) =>
      JSON.stringify({
        record_id: id,
        record_type: 'gp_appointment',
        occurred_at: '2023-03-03T10:00:00Z',
        nhs_number: nhs[2],
        practice_code: 'N82001',
        mode: 'telephone',
      }) + '\n';
    const chunk = 'x'.repeat(64 * 1024);
    const chunks = Math.ceil((50 * MiB) / chunk.length);
    let sent = 0;
    let healthMs: number[] = [];
    let rssPeak = 0;
    const rssBefore = process.memoryUsage().rss;
    function* body(): Generator<string> {
      yield good('long-before');
      yield '{"record_id":"long-1","notes":"';
      for (let i = 0; i < chunks; i += 1) {
        sent += chunk.length;
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        yield chunk;
      }
      yield '"}\n';
      yield good('long-after');
    }
    const started = Date.now();
    const probe = (async () => {
      const times: number[] = [];
      while (sent < 40 * MiB) {
        const t = Date.now();
        const res = await fetch(`${base}/health`);
        expect(res.status).toBe(200);
        await res.json();
        times.push(Date.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
      return times;
    })();
    const summary = (await (await post('cipha', body())).json()) as IngestSummary;
    const seconds = (Date.now() - started) / 1000;
    healthMs = await probe;
    expect(sent).toBeGreaterThanOrEqual(50 * MiB);
    expect(summary).toMatchObject({ status: 'stored', records: 3, accepted: 2, rejected: 1 });
    expect(summary.firstRejections).toEqual([
      { line: 2, recordId: null, field: '', reason: 'line_too_long' },
    ]);
    // Loose bounds (figures in docs/BENCHMARKS.md): memory does not grow with the line.
    const growthMiB = (rssPeak - rssBefore) / MiB;
    expect(growthMiB).toBeLessThan(200);
    expect(healthMs.length).toBeGreaterThan(0);
    expect(Math.max(...healthMs)).toBeLessThan(5000);
    logger.info(
      { seconds, growthMiB, healthProbes: healthMs.length, healthMaxMs: Math.max(...healthMs) },
      'fifty-megabyte line',
    );
    process.stderr.write(
      `50 MB line: ${seconds.toFixed(2)} s, RSS growth ${growthMiB.toFixed(1)} MiB, ` +
        `/health max ${Math.max(...healthMs)} ms over ${healthMs.length} probes\n`,
    );
  });

  it('ends a run over the body limit failed (413) with what was stored', async () => {
    process.env.LINKAGE_INGEST_MAX_BODY_BYTES = String(64 * 1024);
    try {
      const line = extract.lines[0] + '\n';
      const parts = Array.from({ length: Math.ceil((128 * 1024) / line.length) }, () => line);
      const res = await post('cipha', parts);
      expect(res.status).toBe(413);
      const body = (await res.json()) as { reason: string; summary: IngestSummary };
      expect(body.reason).toBe('body_too_large');
      expect(body.summary).toMatchObject({ status: 'failed', failure: 'body_too_large' });
      const [run] = await harness.db.sql<{ status: string; failure: string }[]>`
        select status, failure from ingest.ingest_runs where ingest_run_id = ${body.summary.ingestRunId}`;
      expect(run).toEqual({ status: 'failed', failure: 'body_too_large' });
    } finally {
      delete process.env.LINKAGE_INGEST_MAX_BODY_BYTES;
    }
  });

  it('leaves no trace of a name or date of birth sent in the query string, in the trail or the logs', async () => {
    const query = '?note=Aurelia%20Quennell&born=1950-01-01&Cressida_Vexley=1';
    const ok = await fetch(`${base}/v1/ingest/cipha${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson' },
      body: extract.lines[0] + '\n',
    });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${base}/v1/ingest/cipha${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: extract.lines[0] + '\n',
    });
    expect(refused.status).toBe(401);
    const trail = JSON.stringify(
      await harness.db
        .sql`select row_to_json(t)::text as j from governance.audit_trail t order by sequence`,
    );
    const intents = JSON.stringify(await harness.db.sql`select * from governance.audit_intents`);
    for (const text of [trail, intents, logLines.join('')]) {
      expect(text).not.toMatch(/Aurelia|Quennell|Cressida|Vexley|1950-01-01/);
    }
    const entries = await harness.db.sql<{ outcome: string; parameters: unknown }[]>`
      select outcome, parameters from governance.audit_trail order by sequence desc limit 2`;
    expect(entries).toEqual([
      { outcome: 'denied', parameters: {} },
      { outcome: 'ok', parameters: { source: 'cipha', $undeclared: 3 } },
    ]);
  });

  it('ends the run aborted when the client goes away mid-body', async () => {
    const abort = new AbortController();
    const before = await runCount();
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    let sentOne = false;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sentOne) {
          // Never more: the client hangs here until it gives up.
          await stalled;
          controller.close();
          return;
        }
        sentOne = true;
        controller.enqueue(new TextEncoder().encode(extract.lines[1] + '\n'));
      },
    });
    const res = fetch(`${base}/v1/ingest/cipha`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-ndjson' },
      body: stream,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit & { duplex: 'half' }).catch(() => undefined);
    await eventually(async () => ((await runCount()) > before ? true : undefined), {
      what: 'the run started',
    });
    abort.abort();
    release();
    await res;
    const run = await eventually(
      async () => {
        const [r] = await harness.db.sql<{ status: string; failure: string | null }[]>`
          select status, failure from ingest.ingest_runs order by started_at desc limit 1`;
        return r.status !== 'running' ? r : undefined;
      },
      { what: 'the run ended' },
    );
    expect(run).toEqual({ status: 'aborted', failure: 'aborted' });
  });
});
