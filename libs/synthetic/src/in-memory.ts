import { DAY_MS, isoDate } from './dates';
import { GenerateOptions, planPopulation, resolve } from './generate-population';
import type { TrueEffect } from './manifest';
import { MEASURES, Measure, measuresOfRecord } from './rates';
import { emptyTally, simulateSystemActivity } from './system-activity';

/** One simulated person as the evaluation sees them after linkage: no identifiers. */
export interface SimulatedPerson {
  personId: string;
  yearOfBirth: number;
  sex: 'F' | 'M';
  /** Registrations in force from a day on (day numbers, ascending) and their IMD decile. */
  registrations: Array<{ fromDay: number; imdDecile: number | null }>;
  /** Day number of the first Life Rooms contact (cohort members only). */
  indexDay: number | null;
  deathDay: number | null;
  /** Day numbers of events per measure (the generator's definitions), ascending. */
  days: Record<Measure, number[]>;
}

export interface SimulatedPopulation {
  persons: SimulatedPerson[];
  /** The true effect on the treated for every measure (0 where nothing was planted). */
  truth: Record<Measure, TrueEffect>;
  startDate: string;
  /** Exclusive end of the data. */
  endDate: string;
}

/**
 * Draws the same population as `generatePopulation` (same options, same people and events) but
 * keeps only what an evaluation needs, in memory, with no files, dirt or Life Rooms records.
 * For the validity study: many seeds at small cohorts in seconds.
 */
export function simulatePopulation(options: GenerateOptions): SimulatedPopulation {
  const p = resolve(options);
  const { startMs, endMs, people, systemContext } = planPopulation(p, options.model);
  const tally = emptyTally();
  const persons: SimulatedPerson[] = [];
  const day = (ms: number) => Math.floor(ms / DAY_MS);
  for (const person of people) {
    const days = Object.fromEntries(
      Object.keys(MEASURES).map((m) => [m, [] as number[]]),
    ) as Record<Measure, number[]>;
    const deathMs = simulateSystemActivity(person, systemContext, tally, (r) => {
      const record = { record_type: r.recordType, ...(r.fields as Record<string, string>) };
      for (const m of measuresOfRecord(record)) days[m].push(day(r.occurredMs));
    });
    for (const list of Object.values(days)) list.sort((a, b) => a - b);
    persons.push({
      personId: `p${person.index}`,
      yearOfBirth: new Date(person.birthMs).getUTCFullYear(),
      sex: person.sex,
      registrations: person.residences
        .filter((r) => deathMs === undefined || r.fromMs < deathMs)
        .map((r) => ({ fromDay: day(r.fromMs), imdDecile: r.home.imdDecile })),
      indexDay: person.indexMs === undefined ? null : day(person.indexMs),
      deathDay: deathMs === undefined ? null : day(deathMs),
      days,
    });
  }
  const py = tally.followUpPersonYears;
  const truth = Object.fromEntries(
    (Object.keys(MEASURES) as Measure[]).map((m) => {
      const t = tally.followUp[m];
      const without = py > 0 ? t.without / py : 0;
      const withEffect = py > 0 ? t.with / py : 0;
      const effect: TrueEffect = {
        factor: p.effects[m] ?? 1,
        definition: MEASURES[m].definition,
        personYears: py,
        expectedEventsWithout: t.without,
        expectedEventsWith: t.with,
        expectedRateWithout: without,
        expectedRateWith: withEffect,
        trueEffect: without - withEffect,
      };
      return [m, effect];
    }),
  ) as Record<Measure, TrueEffect>;
  return { persons, truth, startDate: isoDate(startMs), endDate: isoDate(endMs) };
}
