import { randomBytes } from 'node:crypto';
import type { Source } from '@linkage/contracts';
import { linkageSeconds, Pseudonymiser } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { findIdentifiers, identifierNeedles, mixedExtract } from '../testing/ingest-fixtures';
import { edgeOutcomeOf, type EdgeOutcome } from './edge-outcome';
import { edgeThreadCount, startEdgeThreads, type EdgeThreads } from './edge-threads';
import { ingestRecord } from './ingest-record';

// The edge on worker threads runs the edge's own code in another thread (loaded from source here,
// from dist/ in the CLI): it must give what the in-thread edge gives, record for record.
describe('the edge on worker threads', () => {
  const key = { key: randomBytes(32), keyId: 'thread-test-key', encodingKey: randomBytes(32) };
  const pseudonymiser = new Pseudonymiser(key);
  const postcodes = loadPostcodeLookup();
  const now = new Date('2024-06-30T12:00:00.000Z');
  const ingestRunId = 'run-edge-threads';
  const extract = mixedExtract(30, { seed: 7 });
  // A line that is not JSON, and one with a record id and a bad NHS number, at known lines.
  const cipha = [...extract.lines, '{"record_id": "x1", not json', ''];
  let threads: EdgeThreads;

  beforeAll(() => {
    threads = startEdgeThreads(key, 2);
  });
  afterAll(async () => {
    await threads?.close();
  });

  const inThread = (source: Source, lines: string[]): EdgeOutcome[] =>
    lines.map((line, i) =>
      edgeOutcomeOf(
        ingestRecord(source, line, {
          pseudonymiser,
          postcodes,
          ingestRunId,
          now,
          receivedAt: now,
          line: i + 1,
        }),
      ),
    );

  /** In three chunks, spread over both threads, taken back in order. */
  const onThreads = async (source: Source, lines: string[]): Promise<EdgeOutcome[]> => {
    const records = lines.map((input, i) => ({ input, line: i + 1 }));
    const third = Math.ceil(records.length / 3);
    const chunks = [0, 1, 2].map((c) =>
      threads.run(source, records.slice(c * third, (c + 1) * third), { ingestRunId, now }),
    );
    return (await Promise.all(chunks)).flat();
  };

  it.each([
    ['cipha', cipha],
    ['liferooms', extract.liferoomsLines],
  ] as const)(
    'gives the same events and rejections as the in-thread edge (%s)',
    async (source, lines) => {
      const expected = inThread(source, [...lines]);
      const actual = await onThreads(source, [...lines]);
      expect(actual).toHaveLength(lines.length);
      expect(actual).toEqual(expected);
      // Not trivially equal: events carry pseudonyms made with the same key on both sides.
      const accepted = actual.filter((o) => o.ok);
      expect(accepted.length).toBeGreaterThan(lines.length / 2);
      for (const o of accepted) {
        const event = JSON.parse(o.value) as { data: { personId?: string | null } };
        expect(o.key).toMatch(/^[0-9a-f-]{32,36}$/);
        if (event.data.personId) expect(event.data.personId).toMatch(/^[0-9a-f]{32}$/);
      }
    },
  );

  it("counts the threads' Bloom-filter encoding time in this thread's metrics", async () => {
    const encodeSeconds = async () =>
      (await linkageSeconds.get()).values.find((v) => v.labels.stage === 'encode')?.value ?? 0;
    const before = await encodeSeconds();
    await onThreads('liferooms', [...extract.liferoomsLines]);
    expect(await encodeSeconds()).toBeGreaterThan(before);
  });

  it('turns a bad record into a rejection naming record, field and reason, without its values', async () => {
    const outcomes = await onThreads('cipha', cipha);
    const rejections = outcomes.flatMap((o) => (o.ok ? [] : [o.rejection]));
    const byReason: Record<string, number> = {};
    for (const r of rejections) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
    // The extract's planted bad records, the line that is not JSON and the empty last line.
    expect(byReason).toEqual({
      ...extract.bad,
      not_json: (extract.bad.not_json ?? 0) + 2,
    });
    const notJson = rejections.find((r) => r.line === cipha.length - 1);
    expect(notJson).toMatchObject({ source: 'cipha', field: '', reason: 'not_json' });
    const badNhs = rejections.find((r) => r.recordId === 'bad-nhs-7');
    expect(badNhs).toMatchObject({
      source: 'cipha',
      field: '/nhs_number',
      reason: 'invalid_nhs_number',
    });
    expect(
      findIdentifiers(JSON.stringify(rejections), identifierNeedles(extract.identifiers)),
    ).toEqual([]);
  });

  it('fails the chunk, not the process, when a thread cannot start, and reads its count from the environment', async () => {
    const broken = startEdgeThreads({ key: Buffer.alloc(8), keyId: 'short' }, 1);
    try {
      await expect(broken.run('cipha', [{ input: cipha[0], line: 1 }], { now })).rejects.toThrow(
        /edge thread (failed|exited)/,
      );
    } finally {
      await broken.close();
    }
    expect(edgeThreadCount({})).toBe(1);
    expect(edgeThreadCount({ LINKAGE_EDGE_THREADS: '0' })).toBe(0);
    expect(edgeThreadCount({ LINKAGE_EDGE_THREADS: '3' })).toBe(3);
    expect(() => edgeThreadCount({ LINKAGE_EDGE_THREADS: 'many' })).toThrow(/LINKAGE_EDGE_THREADS/);
  });
});
