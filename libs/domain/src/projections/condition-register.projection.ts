import { ProjectedEvent } from './projected-event';

/**
 * One GP condition register entry of a person, as the read model keeps it: the cluster, the day
 * it was first recorded and the day it was resolved (null while active). One row per event, so
 * redelivery is a no-op and the register of a person is the set of their entries.
 */
export interface ConditionEntry {
  eventId: string;
  personId: string;
  cluster: string;
  recordedOn: string;
  resolvedOn: string | null;
}

/** The register entry one event contributes, or undefined for any other event or nobody. */
export function conditionEntryOf(event: ProjectedEvent): ConditionEntry | undefined {
  if (event.type !== 'ConditionRecorded') return undefined;
  const d = event.data;
  if (typeof d.personId !== 'string' || typeof d.cluster !== 'string') return undefined;
  return {
    eventId: event.eventId,
    personId: d.personId,
    cluster: d.cluster,
    recordedOn: String(d.occurredAt).slice(0, 10),
    resolvedOn: typeof d.resolvedAt === 'string' ? d.resolvedAt.slice(0, 10) : null,
  };
}

/** Whether an entry is on the register on `asOf` (recorded by then and not yet resolved). */
export function isActiveOn(entry: Pick<ConditionEntry, 'recordedOn' | 'resolvedOn'>, asOf: string) {
  return entry.recordedOn <= asOf && (entry.resolvedOn === null || entry.resolvedOn > asOf);
}
