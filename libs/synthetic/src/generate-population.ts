import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError, createLogger } from '@linkage/common';
import { createProgress } from '@linkage/observability';
import { DAY_MS, addMonths, addYears, isoDate, parseDate } from './dates';
import {
  DEFAULT_DIRT,
  DirtKey,
  NO_NHS_NUMBER_CASE_KEYS,
  REJECTION,
  REJECTION_KINDS,
  isDirtKey,
} from './dirt';
import { Source } from './draft-record';
import { ExtractWriter, LineSink, OutputFormat } from './extract-writer';
import { SegmentTruth, type WrittenRecord } from './segment-truth';
import { SHIPPED_RULESETS, loadRuleset } from '@linkage/segmentation';
import { Manifest, PlantedRejection, TrueEffect } from './manifest';
import { NhsNumberSequence } from './nhs-number';
import { Person, samplePerson, selectCohort } from './population';
import { currentPostcodes } from './postcodes';
import {
  Channel,
  DEFAULT_EFFECTS,
  MEASURES,
  Measure,
  annualRate,
  channelMultipliers,
  isMeasure,
} from './rates';
import { createRng, pickOne } from './random';
import { NO_THREATS, ThreatOptions } from './threats';
import { SystemContext, type SystemTally, emptyTally } from './system-activity';
import { type Simulation, simulateInThread } from './simulate-people';
import { simulateOnThread, useSimulationThread } from './simulation-threads';

/** Options of `generatePopulation`; every one has a default. */
export interface GenerateOptions {
  /** Total population (default cohort x 6: each Life Rooms user plus 5 non-users). */
  persons?: number;
  /** Life Rooms users (default 6,000). */
  cohort?: number;
  /** Length of the study window in whole years (default 4, at least 2). */
  years?: number;
  seed?: string;
  format?: OutputFormat;
  /** Planted effects by measure, merged over the defaults (crisis=0.7, ae=0.8); 1 removes one. */
  effects?: Partial<Record<Measure, number>>;
  /** Dirt shares by kind, merged over `DEFAULT_DIRT`. */
  dirt?: Partial<Record<DirtKey, number>>;
  /** Last day of the study window, `YYYY-MM-DD` (default 2025-03-31). */
  endDate?: string;
  progress?: 'bar' | 'lines' | 'off';
  /**
   * Knobs for closed-form tests: fixed annual rates per channel (same for everyone) and
   * switching mortality off. Not for analysis runs.
   */
  model?: { annualRates?: Partial<Record<Channel, number>>; mortality?: boolean };
  /** Pre-index dip and need drift (see `threats.ts`); both off by default. */
  threats?: Partial<Pick<ThreatOptions, 'dipShare' | 'driftSd'>>;
}

export const DEFAULT_COHORT = 6000;
export const DEFAULT_YEARS = 4;
export const DEFAULT_SEED = 'linkage';
export const DEFAULT_END_DATE = '2025-03-31';
export const NON_USERS_PER_USER = 5;
const MAX_PERSONS = 800_000; // the 999 test range holds ~909k valid numbers

export interface Resolved {
  persons: number;
  cohort: number;
  years: number;
  seed: string;
  format: OutputFormat;
  effects: Partial<Record<Measure, number>>;
  dirt: Record<DirtKey, number>;
  endDate: string;
  threats: ThreatOptions;
}

function invalid(field: string, reason: string): never {
  throw new ValidationError({ field, reason });
}

export function resolve(options: GenerateOptions): Resolved {
  const cohort = options.cohort ?? DEFAULT_COHORT;
  if (!Number.isInteger(cohort) || cohort < 1) invalid('/cohort', 'out_of_range');
  const persons = options.persons ?? cohort * (1 + NON_USERS_PER_USER);
  if (!Number.isInteger(persons) || persons < cohort || persons > MAX_PERSONS)
    invalid('/persons', 'out_of_range');
  const years = options.years ?? DEFAULT_YEARS;
  if (!Number.isInteger(years) || years < 2 || years > 50) invalid('/years', 'out_of_range');
  const format = options.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv') invalid('/format', 'unknown_format');
  const endDate = options.endDate ?? DEFAULT_END_DATE;
  if (parseDate(endDate) === undefined) invalid('/endDate', 'invalid_date');
  const effects: Partial<Record<Measure, number>> = { ...DEFAULT_EFFECTS };
  for (const [measure, factor] of Object.entries(options.effects ?? {})) {
    if (!isMeasure(measure)) invalid(`/effects/${measure}`, 'unknown_measure');
    if (typeof factor !== 'number' || !(factor >= 0) || !Number.isFinite(factor)) {
      invalid(`/effects/${measure}`, 'out_of_range');
    }
    effects[measure] = factor;
  }
  const dirt: Record<DirtKey, number> = { ...DEFAULT_DIRT };
  for (const [kind, share] of Object.entries(options.dirt ?? {})) {
    if (!isDirtKey(kind)) invalid(`/dirt/${kind}`, 'unknown_dirt_kind');
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      invalid(`/dirt/${kind}`, 'out_of_range');
    dirt[kind] = share;
  }
  const perRecord = REJECTION_KINDS.reduce((sum, k) => sum + dirt[k], dirt.duplicates);
  if (perRecord > 1) invalid('/dirt', 'shares_exceed_one');
  if (NO_NHS_NUMBER_CASE_KEYS.reduce((sum, [, k]) => sum + dirt[k], 0) > 1)
    invalid('/dirt', 'shares_exceed_one');
  const dipShare = options.threats?.dipShare ?? NO_THREATS.dipShare;
  if (typeof dipShare !== 'number' || !(dipShare >= 0 && dipShare <= 1))
    invalid('/threats/dipShare', 'out_of_range');
  const driftSd = options.threats?.driftSd ?? NO_THREATS.driftSd;
  if (typeof driftSd !== 'number' || !(driftSd >= 0 && driftSd <= 0.5))
    invalid('/threats/driftSd', 'out_of_range');
  return {
    persons,
    cohort,
    years,
    seed: options.seed ?? DEFAULT_SEED,
    format,
    effects,
    dirt,
    endDate,
    threats: { ...NO_THREATS, dipShare, driftSd },
  };
}

/** The people, their index dates and the simulation context: shared by file and in-memory runs. */
export function planPopulation(p: Resolved, model: GenerateOptions['model'] = {}) {
  const postcodes = currentPostcodes();
  const endMs = (parseDate(p.endDate) as number) + DAY_MS; // exclusive
  const startMs = addYears(endMs, -p.years);
  const months = p.years * 12;
  const monthStarts = Array.from({ length: months + 1 }, (_, m) => addMonths(startMs, m));

  const nhsNumbers = new NhsNumberSequence(Math.floor(createRng(p.seed, 'nhs')() * 1_000_000));
  const people: Person[] = [];
  for (let i = 0; i < p.persons; i++) {
    people.push(samplePerson({ seed: p.seed, startMs, endMs, postcodes }, i, nhsNumbers.take()));
  }
  // Index dates leave a baseline before (24 months in a 4-year window: the evaluation matches
  // on months -24..-13 and takes its DiD baseline from -12..-4) and a 12-month follow-up after.
  const indexFrom = addMonths(startMs, Math.min(24, Math.floor(((months - 12) * 2) / 3)));
  const indexTo = addMonths(endMs, -12);
  const users = selectCohort(people, p.cohort);
  for (const index of users) {
    const person = people[index];
    const day =
      indexFrom + Math.floor(person.indexDraw * ((indexTo - indexFrom) / DAY_MS)) * DAY_MS;
    person.indexMs =
      day + 9 * 3_600_000 + Math.floor(((person.indexDraw * 1e6) % 1) * 9 * 60) * 60_000;
  }
  const fixedRates = model.annualRates;
  const systemContext: SystemContext = {
    seed: p.seed,
    startMs,
    endMs,
    monthStarts,
    multipliers: channelMultipliers(p.effects),
    effects: p.effects,
    rate: fixedRates ? (c: Channel) => fixedRates[c] ?? 0 : annualRate,
    mortality: model.mortality ?? true,
    threats: p.threats,
  };
  return { postcodes, startMs, endMs, people, users, systemContext };
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Generates a synthetic population and writes its source extracts into `outDir`:
 * `liferooms.<format>`, `cipha.<format>`, `dirt-ledger.jsonl` and `manifest.json`.
 * The same options give byte-identical files (all randomness comes from `seed`; no clock).
 * Records are streamed to disk person by person; with `LINKAGE_GENERATE_THREADS=1` people are
 * drawn on a thread of their own while this one writes them (`useSimulationThread`).
 */
export async function generatePopulation(
  options: GenerateOptions,
  outDir: string,
): Promise<Manifest> {
  const p = resolve(options);
  const onThread = useSimulationThread(); // a bad LINKAGE_GENERATE_THREADS fails here
  const log = createLogger('synthetic');
  // The people again on this thread (cheap, and the same): the manifest counts them.
  const { postcodes, startMs, people, users } = planPopulation(p, options.model);

  fs.mkdirSync(outDir, { recursive: true });
  const files = {
    liferooms: `liferooms.${p.format}`,
    cipha: `cipha.${p.format}`,
    dirtLedger: 'dirt-ledger.jsonl',
  };
  const ledger = new LineSink(path.join(outDir, files.dirtLedger));
  const otherPostcode = (current: string, rng: () => number) => {
    for (;;) {
      const next = pickOne(rng, postcodes).postcode;
      if (next !== current) return next;
    }
  };
  const writers: Record<Source, ExtractWriter> = {
    liferooms: new ExtractWriter({
      source: 'liferooms',
      format: p.format,
      file: path.join(outDir, files.liferooms),
      shares: p.dirt,
      rng: createRng(p.seed, 'dirt', 'liferooms'),
      ledger,
      otherPostcode,
    }),
    cipha: new ExtractWriter({
      source: 'cipha',
      format: p.format,
      file: path.join(outDir, files.cipha),
      shares: p.dirt,
      rng: createRng(p.seed, 'dirt', 'cipha'),
      ledger,
      otherPostcode,
    }),
  };

  // Condition registers and the true segment sizes as of the last day (conditions.ts, segment-truth.ts).
  const truth = new SegmentTruth(SHIPPED_RULESETS.map(loadRuleset), p.endDate);
  const population: Manifest['population'] = {
    persons: p.persons,
    cohort: users.size,
    movers: 0,
    deaths: 0,
    optOuts: 0,
    optIns: 0,
    byLocalAuthority: {},
    byImdDecile: {},
    cohortByLocalAuthority: {},
    cohortByImdDecile: {},
  };

  const progress = createProgress({
    task: 'generate',
    total: p.persons,
    unit: 'persons',
    mode: options.progress,
  });
  let simulation: Simulation | undefined;
  let tally: SystemTally;
  try {
    simulation = onThread ? simulateOnThread(p, options.model) : simulateInThread(p, options.model);
    for await (const batch of simulation.batches) {
      for (const simulated of batch) {
        const person = people[simulated.index];
        const written: WrittenRecord[] = [];
        for (const [source, drafts] of [
          ['cipha', simulated.cipha],
          ['liferooms', simulated.liferooms],
        ] as const) {
          for (const draft of drafts) written.push({ draft, ...writers[source].write(draft) });
          writers[source].endPerson();
        }
        truth.addPerson(written);

        const home = person.residences[0].home;
        const la = home.localAuthority ?? 'unknown';
        const decile = home.imdDecile === null ? 'unknown' : String(home.imdDecile);
        bump(population.byLocalAuthority, la);
        bump(population.byImdDecile, decile);
        if (person.indexMs !== undefined) {
          bump(population.cohortByLocalAuthority, la);
          bump(population.cohortByImdDecile, decile);
        }
        if (simulated.moved) population.movers++;
        population.optOuts += simulated.optOuts;
        population.optIns += simulated.optIns;
        progress.increment(1);
      }
    }
    tally = simulation.tally();
  } finally {
    await simulation?.stop();
    writers.liferooms.close();
    writers.cipha.close();
    ledger.close();
    progress.stop();
  }
  population.deaths = tally.deaths;

  const manifest = buildManifest(p, startMs, files, population, writers, tally);
  manifest.segments = {
    asOf: p.endDate,
    rulesets: truth.result(),
    notes: [
      'Members per segment and subsegment as of the last day of the window, from the records ingest accepts, by the shipped rulesets; opted-out people (current status) and the dead are in none.',
      'Every accepted Life Rooms record counts for its person, with or without an NHS number (perfect linkage); a Life Rooms record the service leaves unlinked can change the segments of that one person only.',
    ],
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log.info(
    {
      persons: p.persons,
      cohort: users.size,
      liferooms: manifest.counts.liferooms.written,
      cipha: manifest.counts.cipha.written,
    },
    'synthetic population written',
  );
  return manifest;
}

function buildManifest(
  p: Resolved,
  startMs: number,
  files: Manifest['files'],
  population: Manifest['population'],
  writers: Record<Source, ExtractWriter>,
  tally: ReturnType<typeof emptyTally>,
): Manifest {
  const sources: Source[] = ['liferooms', 'cipha'];
  const counts = Object.fromEntries(
    sources.map((source) => {
      const byRecordType = Object.fromEntries(
        Object.entries(writers[source].byRecordType).sort(([a], [b]) => a.localeCompare(b)),
      );
      const sum = (k: 'written' | 'valid' | 'rejected' | 'duplicates') =>
        Object.values(byRecordType).reduce((acc, c) => acc + c[k], 0);
      return [
        source,
        {
          file: files[source],
          written: sum('written'),
          valid: sum('valid'),
          rejected: sum('rejected'),
          duplicates: sum('duplicates'),
          byRecordType,
        },
      ];
    }),
  ) as Manifest['counts'];

  const planted = Object.fromEntries(
    REJECTION_KINDS.map((kind): [string, PlantedRejection] => [
      kind,
      {
        ...REJECTION[kind],
        count: writers.liferooms.planted[kind] + writers.cipha.planted[kind],
        bySource: {
          liferooms: writers.liferooms.planted[kind],
          cipha: writers.cipha.planted[kind],
        },
      },
    ]),
  ) as Manifest['dirt']['planted'];
  const noNhs = writers.liferooms.noNhsNumber;

  const activity = Object.fromEntries(
    (Object.keys(MEASURES) as Measure[]).map((measure) => {
      const channels: readonly Channel[] = MEASURES[measure].channels;
      return [
        measure,
        {
          expectedEvents: channels.reduce((s, c) => s + tally.expected[c], 0),
          generatedEvents: channels.reduce((s, c) => s + tally.generated[c], 0),
          definition: MEASURES[measure].definition,
        },
      ];
    }),
  ) as Manifest['activity'];

  const py = tally.followUpPersonYears;
  const trueEffectOf = (measure: Measure, factor: number): TrueEffect => {
    const truth = tally.followUp[measure];
    const rateWithout = py > 0 ? truth.without / py : 0;
    const rateWith = py > 0 ? truth.with / py : 0;
    return {
      factor,
      definition: MEASURES[measure].definition,
      personYears: py,
      expectedEventsWithout: truth.without,
      expectedEventsWith: truth.with,
      expectedRateWithout: rateWithout,
      expectedRateWith: rateWith,
      trueEffect: rateWithout - rateWith,
    };
  };
  // Every measure, planted or not: an estimator is scored on the nulls too.
  const truth = Object.fromEntries(
    (Object.keys(MEASURES) as Measure[]).map((m) => [m, trueEffectOf(m, p.effects[m] ?? 1)]),
  ) as Record<Measure, TrueEffect>;
  const effects = Object.fromEntries(
    (Object.entries(p.effects) as [Measure, number][]).map(
      ([measure, factor]): [Measure, TrueEffect] => {
        const truth = tally.followUp[measure];
        const rateWithout = py > 0 ? truth.without / py : 0;
        const rateWith = py > 0 ? truth.with / py : 0;
        return [
          measure,
          {
            factor,
            definition: MEASURES[measure].definition,
            personYears: py,
            expectedEventsWithout: truth.without,
            expectedEventsWith: truth.with,
            expectedRateWithout: rateWithout,
            expectedRateWith: rateWith,
            trueEffect: rateWithout - rateWith,
          },
        ];
      },
    ),
  );

  return {
    generator: 'linkage-synthetic',
    version: 1,
    parameters: {
      persons: p.persons,
      cohort: p.cohort,
      years: p.years,
      seed: p.seed,
      format: p.format,
      endDate: p.endDate,
      startDate: isoDate(startMs),
      effects: p.effects,
      dirt: p.dirt,
      threats: { dipShare: p.threats.dipShare, driftSd: p.threats.driftSd },
    },
    files,
    population,
    counts,
    dirt: {
      planted,
      rejectedTotal: REJECTION_KINDS.reduce((s, k) => s + planted[k].count, 0),
      duplicates: {
        count: counts.liferooms.duplicates + counts.cipha.duplicates,
        bySource: { liferooms: counts.liferooms.duplicates, cipha: counts.cipha.duplicates },
      },
      noNhsNumber: { count: Object.values(noNhs).reduce((a, b) => a + b, 0), ...noNhs },
      ledger: files.dirtLedger,
      notes: [
        'Rejection kinds and duplicates are shares of the records each can apply to; a record gets at most one.',
        'The index (first) Life Rooms record of each cohort member is never dirty and always has its NHS number.',
        'inpatient_admission records never get date_in_future (discharged_at would precede occurred_at).',
        "no_nhs_number records carry given_name, family_name, date_of_birth, sex and postcode like every liferooms record; typo: one letter of one name changed; changed_postcode: another real LCR postcode; nickname: a common short form of the given name; invalid_nhs_number: the NHS number kept with a wrong check digit (ingest keeps the record with a warning); missing_postcode: no postcode. Each ledger entry names the record type and `same_person_as`, the record_id of the person's first record with their NHS number (the linkage truth).",
        'invalid_nhs_number is planted as a rejection on CIPHA records only: on a Life Rooms record the NHS number is optional, so a bad one is a linkage case, not a rejection.',
        'Duplicates are resent verbatim (same record_id) after the rest of that person’s records.',
      ],
    },
    activity,
    effects,
    truth,
    notes: [
      'Events are a Poisson process per person per month; rates depend on age, sex, IMD decile and a hidden need level (mean-one lognormal), which also raises the chance of being in the cohort.',
      'Planted effects multiply a cohort member’s rates of the named measures from the index date (first Life Rooms contact) to the end of the window.',
      'True effects: rate without minus rate with, expected events per person-year at risk over the 12 months after the index date (to death if sooner), summed over the cohort; "without" means without any planted effect.',
      'Counts of events include records that were then made dirty; ingest keeps valid records only.',
    ],
  };
}
