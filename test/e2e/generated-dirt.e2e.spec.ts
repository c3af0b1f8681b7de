import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePopulation, REJECTION_KINDS, type Manifest } from '@linkage/synthetic';
import { runFileIngest } from '../../apps/ingest/src';
import type { IngestSummary } from '../../apps/ingest/src';
import { openIngestHarness, type IngestHarness } from '../fixtures/ingest-harness';

/**
 * The generator's ground truth (issue 5): what ingest rejects, accepts and treats as duplicate
 * must be exactly what the generator planted, kind by kind and line by line. Runs the real
 * pipeline (edge -> in-process transport -> event writer -> PostgreSQL event store) on a small
 * generated population, once as NDJSON and once as CSV.
 */

const SOURCES = ['liferooms', 'cipha'] as const;
type Source = (typeof SOURCES)[number];

interface LedgerEntry {
  source: Source;
  line: number;
  record_id: string;
  kind: string;
  reason?: string;
  field?: string;
}

// Small, but with shares raised so that every rejection kind is planted.
const OPTIONS = {
  cohort: 200,
  persons: 500,
  seed: 'dirt-check',
  progress: 'off' as const,
  dirt: { wrong_item_count: 0.1, invalid_postcode: 0.02, not_json: 0.01 },
};

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(['ndjson', 'csv'] as const)('a generated population as %s', (format) => {
  let dir: string;
  let manifest: Manifest;
  let ledger: LedgerEntry[];
  let harness: IngestHarness;
  const summaries = {} as Record<Source, IngestSummary>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `linkage-dirt-${format}-`));
    folders.push(dir);
    manifest = await generatePopulation({ ...OPTIONS, format }, dir);
    ledger = fs
      .readFileSync(path.join(dir, manifest.files.dirtLedger), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LedgerEntry);
    harness = await openIngestHarness();
    for (const source of SOURCES) {
      summaries[source] = await runFileIngest({
        ...harness.deps,
        source,
        files: [path.join(dir, manifest.files[source])],
        embeddedWriter: true,
        progress: false,
      });
    }
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('plants something of every kind it can (otherwise the comparison proves little)', () => {
    for (const kind of REJECTION_KINDS) {
      const expected = kind === 'not_json' && format === 'csv' ? 0 : 1;
      expect(manifest.dirt.planted[kind].count >= expected).toBe(true);
    }
    expect(manifest.dirt.duplicates.count).toBeGreaterThan(0);
  });

  it("rejects exactly the manifest's planted dirt, by reason", () => {
    const expected: Record<string, number> = {};
    for (const kind of REJECTION_KINDS) {
      const p = manifest.dirt.planted[kind];
      if (p.count > 0) expected[p.reason] = (expected[p.reason] ?? 0) + p.count;
    }
    const actual: Record<string, number> = {};
    for (const source of SOURCES) {
      for (const [reason, n] of Object.entries(summaries[source].rejectedByReason)) {
        actual[reason] = (actual[reason] ?? 0) + n;
      }
    }
    expect(actual).toEqual(expected);
    expect(summaries.liferooms.rejected + summaries.cipha.rejected).toBe(
      manifest.dirt.rejectedTotal,
    );
  });

  it.each(SOURCES)(
    '%s: accepts the valid records, counts the planted duplicates, rejects by reason per source',
    (source) => {
      const byReason: Record<string, number> = {};
      for (const kind of REJECTION_KINDS) {
        const p = manifest.dirt.planted[kind];
        if (p.bySource[source] > 0) byReason[p.reason] = p.bySource[source];
      }
      expect(summaries[source]).toMatchObject({
        records: manifest.counts[source].written,
        accepted: manifest.counts[source].valid,
        duplicates: manifest.dirt.duplicates.bySource[source],
        rejected: manifest.counts[source].rejected,
        rejectedByReason: byReason,
      });
    },
  );

  it('stores one event per valid record', async () => {
    const valid = manifest.counts.liferooms.valid + manifest.counts.cipha.valid;
    const records = (await harness.eventsWhenVisible(valid)).filter(
      (e) => e.type !== 'RecordLinked',
    );
    expect(records).toHaveLength(valid);
  });

  it.each(SOURCES)('%s: dead letters match the dirt ledger line by line', async (source) => {
    const planted = ledger
      .filter((e) => e.source === source && e.reason !== undefined)
      .sort((a, b) => a.line - b.line);
    const letters = (await harness.deadLetters(source)).sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0),
    );
    expect(
      letters.map((l) => ({ source: l.source, line: l.line, reason: l.reason, field: l.field })),
    ).toEqual(
      planted.map((e) => ({ source: e.source, line: e.line, reason: e.reason, field: e.field })),
    );
    // A record cut in half has no readable record_id; every other names its record.
    letters.forEach((l, i) => {
      expect(l.recordId).toBe(planted[i].kind === 'not_json' ? null : planted[i].record_id);
    });
  });
});
