import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generatePopulation, type GenerateOptions } from '@linkage/synthetic';
import type { StoredEvent } from '@linkage/event-store';
import { runFileIngest } from '../../apps/ingest/src';
import type { IngestSummary } from '../../apps/ingest/src';
import { comparableEvent, openIngestHarness, type IngestHarness } from '../fixtures/ingest-harness';

/**
 * CSV input (header row, `items` as `1|2|3|4|5|4|3`, booleans and numbers as text) ingests to
 * the same events as the NDJSON equivalent. With `not_json` off the generator writes the same
 * records in both formats for one seed, so the two extracts are equivalent line for line (the
 * CSV one has its header as line 1).
 */

const SOURCES = ['liferooms', 'cipha'] as const;
type Source = (typeof SOURCES)[number];
type Format = 'ndjson' | 'csv';

const OPTIONS: GenerateOptions = {
  cohort: 60,
  persons: 150,
  seed: 'csv-equivalence',
  progress: 'off',
  dirt: { not_json: 0, wrong_item_count: 0.05 },
};

interface Run {
  dir: string;
  harness: IngestHarness;
  summaries: Record<Source, IngestSummary>;
  events: StoredEvent[];
}

describe('CSV ingest', () => {
  // One key for both runs: equal pseudonyms are part of "the same events".
  const key = randomBytes(32);
  const runs = {} as Record<Format, Run>;

  beforeAll(async () => {
    for (const format of ['ndjson', 'csv'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `linkage-csv-${format}-`));
      const manifest = await generatePopulation({ ...OPTIONS, format }, dir);
      const harness = await openIngestHarness({ key });
      const summaries = {} as Record<Source, IngestSummary>;
      for (const source of SOURCES) {
        summaries[source] = await runFileIngest({
          ...harness.deps,
          source,
          files: [path.join(dir, manifest.files[source])],
          embeddedWriter: true,
          progress: false,
        });
      }
      const valid = manifest.counts.liferooms.valid + manifest.counts.cipha.valid;
      const events = await harness.eventsWhenVisible(valid);
      runs[format] = { dir, harness, summaries, events };
    }
  });

  afterAll(async () => {
    for (const run of Object.values(runs)) {
      await run.harness.close();
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
  });

  it('reads a real CSV extract: header row, items joined by |, empty cells for absent fields', () => {
    const csv = fs.readFileSync(path.join(runs.csv.dir, 'liferooms.csv'), 'utf8').split('\n');
    expect(csv[0].split(',').slice(0, 4)).toEqual([
      'record_id',
      'record_type',
      'occurred_at',
      'nhs_number',
    ]);
    expect(csv.some((line) => /,[1-5](\|[1-5]){6},/.test(line))).toBe(true);
    expect(csv[1]).toMatch(/,,/);
    expect(runs.csv.events.some((e) => e.type === 'WellbeingMeasured')).toBe(true);
  });

  it.each(SOURCES)('%s: the same summary from CSV as from NDJSON', (source) => {
    // Lines differ by the CSV header row; the rejections are otherwise the same.
    const strip = (s: IngestSummary) => ({
      ...s,
      ingestRunId: undefined,
      durationMs: undefined,
      firstRejections: s.firstRejections.map((r) => ({ ...r, line: undefined })),
    });
    expect(strip(runs.csv.summaries[source])).toEqual(strip(runs.ndjson.summaries[source]));
    expect(runs.csv.summaries[source].accepted).toBeGreaterThan(0);
  });

  it('stores the same events (ids, types, data, and the person each ends up with) from CSV as from NDJSON', () => {
    const byId = (events: StoredEvent[]) => {
      // Where a record without an NHS number is first appended depends on whether its person
      // was known when it arrived, which the writer's batching decides; the link decisions
      // (RecordLinked / RecordUnlinked, in log order) then say whose it is. That owner is the
      // result, and must not depend on the format (the arrival-order test covers orders).
      const owner = new Map<string, string>();
      for (const e of events) {
        const d = e.data as { personId?: string; eventIds?: string[] };
        if (e.type === 'RecordLinked') {
          for (const id of d.eventIds ?? []) owner.set(id, `person-${d.personId}`);
        } else if (e.type === 'RecordUnlinked') {
          for (const id of d.eventIds ?? []) {
            if (owner.get(id) === `person-${d.personId}`) owner.set(id, 'unlinked');
          }
        } else if (!owner.has(e.eventId)) {
          // A link decision appended before the record in the same batch stands.
          owner.set(e.eventId, e.streamId.startsWith('person-') ? e.streamId : 'unlinked');
        }
      }
      return events
        .filter((e) => e.type !== 'RecordLinked' && e.type !== 'RecordUnlinked')
        .map((e) => {
          const data = { ...(e.data as Record<string, unknown>) };
          delete data.personId; // set at arrival only when the person was already known
          return { eventId: e.eventId, type: e.type, data, owner: owner.get(e.eventId) };
        })
        .sort((a, b) => String(a.eventId).localeCompare(String(b.eventId)));
    };
    const csv = byId(runs.csv.events);
    expect(csv.length).toBeGreaterThan(1000);
    expect(csv.filter((e) => e.owner?.startsWith('person-')).length).toBeGreaterThan(1000);
    expect(csv).toEqual(byId(runs.ndjson.events));
  });

  it('points at the same records, one line further down (the CSV header is line 1)', () => {
    const lineOf = (events: StoredEvent[]) =>
      new Map(events.map((e) => [e.eventId, (e.metadata as { line?: number }).line]));
    const ndjson = lineOf(runs.ndjson.events);
    for (const [eventId, line] of lineOf(runs.csv.events)) {
      const expected = ndjson.get(eventId);
      expect(line).toBe(expected === undefined ? undefined : expected + 1);
    }
  });

  it('dead-letters the same records with the same field and reason', async () => {
    for (const source of SOURCES) {
      const letters = async (format: Format) =>
        (await runs[format].harness.deadLetters(source))
          .map((l) => ({ recordId: l.recordId, field: l.field, reason: l.reason }))
          .sort((a, b) => String(a.recordId).localeCompare(String(b.recordId)));
      const csv = await letters('csv');
      expect(csv.length).toBeGreaterThan(0);
      expect(csv).toEqual(await letters('ndjson'));
    }
  });

  it('reads a hand-written CSV row exactly as its JSON twin', async () => {
    const record = {
      record_id: 'hand-1',
      record_type: 'wellbeing_measure',
      occurred_at: '2024-05-01T10:00:00+01:00',
      nhs_number: '999 476 5914',
      sex: 'F',
      postcode: 'l92af',
      instrument: 'swemwbs',
      items: [1, 2, 3, 4, 5, 4, 3],
      timing: 'baseline',
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-csv-hand-'));
    try {
      const header = Object.keys(record);
      const row = header.map((k) =>
        k === 'items' ? record.items.join('|') : String(record[k as keyof typeof record]),
      );
      fs.writeFileSync(path.join(dir, 'hand.csv'), `${header.join(',')}\n${row.join(',')}\n`);
      fs.writeFileSync(path.join(dir, 'hand.ndjson'), `${JSON.stringify(record)}\n`);
      const stored: Record<string, unknown>[] = [];
      for (const [format, file] of [
        ['csv', 'hand.csv'],
        ['ndjson', 'hand.ndjson'],
      ] as const) {
        const { harness } = runs[format];
        const before = (await harness.events()).length;
        const summary = await runFileIngest({
          ...harness.deps,
          source: 'liferooms',
          files: [path.join(dir, file)],
          embeddedWriter: true,
          progress: false,
        });
        expect(summary).toMatchObject({ records: 1, accepted: 1, rejected: 0 });
        const events = await harness.eventsWhenVisible(before + 1);
        stored.push(comparableEvent(events.find((e) => e.data.recordId === 'hand-1')!));
      }
      expect(stored[0]).toEqual(stored[1]);
      expect(stored[0].data).toMatchObject({ recordType: 'wellbeing_measure', swemwbsRaw: 22 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
