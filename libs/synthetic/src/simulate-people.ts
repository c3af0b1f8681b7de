import { conditionRecords } from './conditions';
import type { DraftRecord } from './draft-record';
import { type GenerateOptions, planPopulation, type Resolved } from './generate-population';
import { simulateLifeRooms } from './life-rooms';
import {
  emptyTally,
  optOutRecords,
  registrations,
  simulateSystemActivity,
  type SystemTally,
} from './system-activity';

/** One person's records before they are written, in the order they are written. */
export interface SimulatedRecords {
  index: number;
  /** CIPHA records, by occurrence (ties in the order drawn). */
  cipha: DraftRecord[];
  /** Life Rooms records, by occurrence (cohort members only). */
  liferooms: DraftRecord[];
  /** Registered at a second address (a move) before death. */
  moved: boolean;
  optOuts: number;
  optIns: number;
}

/** People simulated so far, in batches in person order; `tally` is final after the last batch. */
export interface Simulation {
  batches: AsyncIterable<SimulatedRecords[]>;
  /** Running sums of expected intensities: read once `batches` is exhausted. */
  tally(): SystemTally;
  /** Stops a simulation left unfinished (after an error downstream). */
  stop(): Promise<void>;
}

export const PERSONS_PER_BATCH = 250;

/**
 * Draws every person's records, person by person: the part of generating that does not depend
 * on what is written, so that it can run on a thread of its own (`simulation-thread.ts`). Every
 * draw comes from the person's own seeded streams, or from the Life Rooms id counters, which
 * advance in person order here exactly as before.
 */
export function* simulatePeople(
  p: Resolved,
  model: GenerateOptions['model'],
  tally: SystemTally,
): Generator<SimulatedRecords[]> {
  const { startMs, endMs, people, systemContext } = planPopulation(p, model);
  const lifeRoomsContext = {
    seed: p.seed,
    endMs,
    counters: { referral: 0, contact: 0, prescription: 0 },
  };
  const conditionContext = { seed: p.seed, startMs, endMs };
  let batch: SimulatedRecords[] = [];
  for (const person of people) {
    const cipha: DraftRecord[] = [];
    const liferooms: DraftRecord[] = [];
    const deathMs = simulateSystemActivity(person, systemContext, tally, (r) => cipha.push(r));
    const registered = registrations(person, deathMs);
    const optOuts = optOutRecords(person, deathMs);
    cipha.push(...registered, ...optOuts);
    cipha.push(...conditionRecords(person, conditionContext, deathMs));
    if (person.indexMs !== undefined)
      simulateLifeRooms(person, lifeRoomsContext, deathMs, (r) => liferooms.push(r));
    cipha.sort((a, b) => a.occurredMs - b.occurredMs);
    liferooms.sort((a, b) => a.occurredMs - b.occurredMs);
    batch.push({
      index: person.index,
      cipha,
      liferooms,
      moved: registered.length > 1,
      optOuts: optOuts.filter((r) => r.recordType === 'opt_out').length,
      optIns: optOuts.filter((r) => r.recordType === 'opt_in').length,
    });
    if (batch.length === PERSONS_PER_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The simulation on this thread (`LINKAGE_GENERATE_THREADS=0`, and the reference). */
export function simulateInThread(p: Resolved, model: GenerateOptions['model']): Simulation {
  const tally = emptyTally();
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    batches: (async function* () {
      for (const batch of simulatePeople(p, model, tally)) {
        yield batch;
        await tick(); // let progress bars and signals through
      }
    })(),
    tally: () => tally,
    stop: async () => undefined,
  };
}
