import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { parseNdjsonLine, validateSourceRecord } from '@linkage/contracts';
import { GenerateOptions, generatePopulation } from './generate-population';
import { Manifest } from './manifest';
import { REJECTION_KINDS } from './dirt';
import { isValidNhsNumber } from './nhs-number';
import { MEASURES, Measure, measuresOfRecord } from './rates';

// Writes small populations to temporary folders and reads them back.
// Dirt shares raised so every kind is planted even in a small population.
const small: GenerateOptions = {
  cohort: 150,
  progress: 'off',
  dirt: { wrong_item_count: 0.1, invalid_postcode: 0.02 },
};
const folders: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-synthetic-'));
  folders.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

const FILES = ['liferooms.ndjson', 'cipha.ndjson', 'dirt-ledger.jsonl', 'manifest.json'];
const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const lines = (dir: string, file: string) => read(dir, file).split('\n').slice(0, -1);

interface LedgerEntry {
  source: 'liferooms' | 'cipha';
  line: number;
  record_id: string;
  kind: string;
  reason?: string;
  field?: string;
  case?: string;
  same_person_as?: string;
}

let dir: string;
let manifest: Manifest;
beforeAll(async () => {
  dir = tempDir();
  manifest = await generatePopulation(small, dir);
});

describe('generatePopulation', () => {
  it('writes byte-identical files for the same arguments, different ones for another seed', async () => {
    const again = tempDir();
    await generatePopulation(small, again);
    for (const file of FILES) expect(read(again, file) === read(dir, file)).toBe(true);

    const other = tempDir();
    await generatePopulation({ ...small, seed: 'another' }, other);
    expect(read(other, 'cipha.ndjson') === read(dir, 'cipha.ndjson')).toBe(false);
    expect(read(other, 'liferooms.ndjson') === read(dir, 'liferooms.ndjson')).toBe(false);
  });

  it('makes the cohort and the population the size asked for', () => {
    expect(manifest.population.persons).toBe(900);
    expect(manifest.population.cohort).toBe(150);
    const people = new Set(
      lines(dir, 'cipha.ndjson')
        .map((l) => parseNdjsonLine(l))
        .filter((r) => r.ok && r.value.record_type === 'registration')
        .map((r) => (r.ok ? String(r.value.nhs_number).replace(/ /g, '').slice(0, 9) : '')),
    );
    // Every person has a registration (a few may have been made dirty).
    expect(people.size).toBeGreaterThan(870);
    expect(people.size).toBeLessThanOrEqual(900);
  });

  it('uses only 999-range NHS numbers; only the planted ones fail the check digit', () => {
    const ledger = lines(dir, 'dirt-ledger.jsonl').map((l) => JSON.parse(l) as LedgerEntry);
    for (const source of ['liferooms', 'cipha'] as const) {
      const planted = new Set(
        ledger
          .filter(
            (e) =>
              e.source === source &&
              (e.kind === 'invalid_nhs_number' || e.case === 'invalid_nhs_number'),
          )
          .map((e) => e.line),
      );
      const all = lines(dir, `${source}.ndjson`);
      const numbers = [...all.join('\n').matchAll(/"nhs_number":"([^"]*)"/g)].map((m) => m[1]);
      expect(numbers.length).toBeGreaterThan(1000);
      expect(numbers.filter((n) => !/^999 ?\d{3} ?\d{4}$/.test(n))).toEqual([]);
      const invalidLines = all
        .map((line, i) => ({ line: i + 1, n: /"nhs_number":"([^"]*)"/.exec(line)?.[1] }))
        .filter(({ n }) => n !== undefined && !isValidNhsNumber(n))
        .map(({ line }) => line);
      // A not_json line may cut the NHS number short; the rest are exactly the planted ones.
      expect(
        invalidLines
          .filter((l) => !planted.has(l))
          .every((l) => ledgerKindAt(ledger, source, l) === 'not_json'),
      ).toBe(true);
      for (const l of planted) expect(invalidLines).toContain(l);
    }
  });

  it('plants exactly the dirt the manifest counts, one rejection reason per dirty record', () => {
    const ledger = lines(dir, 'dirt-ledger.jsonl').map((l) => JSON.parse(l) as LedgerEntry);
    const now = { now: new Date(Date.UTC(2025, 5, 1)) };
    const found: Record<string, number> = {};
    let duplicates = 0;
    let noNhs = 0;
    for (const source of ['liferooms', 'cipha'] as const) {
      const byLine = new Map(ledger.filter((e) => e.source === source).map((e) => [e.line, e]));
      const seen = new Map<string, string>();
      const all = lines(dir, `${source}.ndjson`);
      all.forEach((text, i) => {
        const entry = byLine.get(i + 1);
        const parsed = parseNdjsonLine(text);
        const result = parsed.ok ? validateSourceRecord(source, parsed.value, now) : parsed;
        const recordId = parsed.ok ? String(parsed.value.record_id) : entry?.record_id;
        if (entry?.kind === 'duplicates') {
          expect(seen.get(recordId as string)).toBe(text);
          duplicates++;
          return;
        }
        if (entry && entry.kind !== 'no_nhs_number') {
          expect(result.ok).toBe(false);
          if (!result.ok)
            expect(result.errors).toEqual([{ field: entry.field, reason: entry.reason }]);
          found[entry.kind] = (found[entry.kind] ?? 0) + 1;
        } else {
          if (!result.ok)
            throw new Error(`${source} line ${i + 1}: ${JSON.stringify(result.errors)}`);
          if (entry) {
            if (entry.case === 'invalid_nhs_number') {
              // Kept, without the number, with a warning naming the field.
              expect(result.ok && result.warnings).toEqual([
                { field: '/nhs_number', reason: 'invalid_nhs_number' },
              ]);
            } else {
              expect(parsed.ok && parsed.value.nhs_number).toBeUndefined();
            }
            // The truth: an earlier record of the same person, written with the NHS number.
            expect(seen.has(String(entry.same_person_as))).toBe(true);
            noNhs++;
          }
          expect(seen.has(recordId as string)).toBe(false);
        }
        seen.set(recordId as string, text);
      });
      expect(manifest.counts[source].written).toBe(all.length);
      expect(
        manifest.counts[source].valid +
          manifest.counts[source].rejected +
          manifest.counts[source].duplicates,
      ).toBe(all.length);
    }
    for (const kind of REJECTION_KINDS) {
      expect([kind, found[kind] ?? 0]).toEqual([kind, manifest.dirt.planted[kind].count]);
      expect(manifest.dirt.planted[kind].count).toBeGreaterThan(0);
    }
    expect(manifest.dirt.rejectedTotal).toBe(Object.values(found).reduce((a, b) => a + b, 0));
    expect(duplicates).toBe(manifest.dirt.duplicates.count);
    expect(duplicates).toBeGreaterThan(0);
    expect(noNhs).toBe(manifest.dirt.noNhsNumber.count);
    expect(manifest.dirt.noNhsNumber.typo).toBeGreaterThan(0);
    expect(manifest.dirt.noNhsNumber.changed_postcode).toBeGreaterThan(0);
    expect(manifest.dirt.planted.invalid_nhs_number.bySource.liferooms).toBe(0);
  });

  it('draws events in line with the expected intensities', () => {
    const ledger = lines(dir, 'dirt-ledger.jsonl').map((l) => JSON.parse(l) as LedgerEntry);
    const resent = new Set(
      ledger.filter((e) => e.source === 'cipha' && e.kind === 'duplicates').map((e) => e.line),
    );
    const counted = Object.fromEntries(Object.keys(MEASURES).map((m) => [m, 0])) as Record<
      Measure,
      number
    >;
    lines(dir, 'cipha.ndjson').forEach((text, i) => {
      if (resent.has(i + 1)) return;
      const parsed = parseNdjsonLine(text);
      // Dirty records still count as drawn events; a cut line or renamed type no longer shows
      // its kind, so the comparison with the file is limited to what can be read back.
      if (!parsed.ok) return;
      for (const m of measuresOfRecord(parsed.value as { record_type: string })) counted[m]++;
    });
    for (const [measure, { expectedEvents, generatedEvents }] of Object.entries(
      manifest.activity,
    )) {
      expect(Math.abs(generatedEvents - expectedEvents)).toBeLessThan(
        4 * Math.sqrt(expectedEvents) + 1,
      );
      // Readable lines are at most the drawn events and at least all but the unreadable dirt.
      const unreadable =
        manifest.dirt.planted.not_json.count + manifest.dirt.planted.unknown_record_type.count;
      expect(counted[measure as Measure]).toBeLessThanOrEqual(generatedEvents);
      expect(counted[measure as Measure]).toBeGreaterThanOrEqual(generatedEvents - unreadable);
    }
    const gpPerPersonYear = manifest.activity.gp.expectedEvents / (900 * 4);
    expect(gpPerPersonYear).toBeGreaterThan(3.5);
    expect(gpPerPersonYear).toBeLessThan(7);
  });

  it('reports the true effect from the rates used: closed form with fixed rates', async () => {
    const rates = { mh_crisis: 0.2, emergency_mental_health: 0.05, ae: 0.4, gp: 5 };
    const run = (effects: GenerateOptions['effects']) =>
      generatePopulation(
        {
          cohort: 100,
          persons: 200,
          progress: 'off',
          effects,
          model: { annualRates: rates, mortality: false },
        },
        tempDir(),
      );
    const treated = await run({ crisis: 0.5, ae: 0.75 });
    const crisis = treated.effects.crisis!;
    // No deaths: each of the 100 users contributes exactly 12 months (in 365.25-day years).
    expect(crisis.personYears).toBeGreaterThan(99.5);
    expect(crisis.personYears).toBeLessThan(100.5);
    expect(crisis.expectedRateWithout).toBeCloseTo(0.25, 10);
    expect(crisis.expectedRateWith).toBeCloseTo(0.125, 10);
    expect(crisis.trueEffect).toBeCloseTo(0.125, 10);
    expect(treated.effects.ae!.trueEffect).toBeCloseTo(0.1, 10);

    // The counterfactual does not depend on the factor; with factor 1 there is no effect.
    const untreated = await run({ crisis: 1, ae: 1 });
    expect(untreated.effects.crisis!.expectedRateWith).toBeCloseTo(crisis.expectedRateWithout, 10);
    expect(untreated.effects.crisis!.trueEffect).toBe(0);
  });

  it('writes CSV with the union of columns, piped SWEMWBS items and no not_json dirt', async () => {
    const csvDir = tempDir();
    const csv = await generatePopulation({ ...small, cohort: 100, format: 'csv' }, csvDir);
    expect(csv.dirt.planted.not_json.count).toBe(0);
    const now = { now: new Date(Date.UTC(2025, 5, 1)) };
    const ledger = lines(csvDir, 'dirt-ledger.jsonl').map((l) => JSON.parse(l) as LedgerEntry);
    for (const source of ['liferooms', 'cipha'] as const) {
      const text = read(csvDir, `${source}.csv`);
      const rows = parse(text, { columns: true }) as Record<string, string>[];
      expect(rows.length).toBe(csv.counts[source].written);
      const dirty = new Set(
        ledger
          .filter((e) => e.source === source && REJECTION_KINDS.includes(e.kind as never))
          .map((e) => e.line),
      );
      let rejected = 0;
      rows.forEach((row, i) => {
        const result = validateSourceRecord(source, row, now);
        if (dirty.has(i + 2)) {
          expect(result.ok).toBe(false);
          rejected++;
        } else if (!result.ok)
          throw new Error(`${source} row ${i + 2}: ${JSON.stringify(result.errors)}`);
      });
      expect(rejected).toBe(csv.counts[source].rejected);
    }
    expect(read(csvDir, 'liferooms.csv')).toMatch(
      /,swemwbs,[1-5](\|[1-5]){6},(baseline|follow_up)\n/,
    );
  });

  it('rejects impossible options with a validation error naming the field', async () => {
    await expect(generatePopulation({ cohort: 10, persons: 5 }, tempDir())).rejects.toMatchObject({
      detail: { field: '/persons', reason: 'out_of_range' },
    });
    await expect(
      generatePopulation({ effects: { nonsense: 0.5 } as never }, tempDir()),
    ).rejects.toMatchObject({
      detail: { field: '/effects/nonsense', reason: 'unknown_measure' },
    });
  });
});

function ledgerKindAt(ledger: LedgerEntry[], source: string, line: number): string | undefined {
  return ledger.find((e) => e.source === source && e.line === line)?.kind;
}
