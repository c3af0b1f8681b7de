import { randomUUID } from 'node:crypto';
import type { EventToAppend, StreamBatch } from '@linkage/event-store';

/** A person id (32 hex digits) from a small number, so that failures stay readable. */
export const testPersonId = (n: number): string => n.toString(16).padStart(32, '0');

/** A canonical event as the ingest edge appends it: from CIPHA unless `data.source` says else. */
export function canonicalEvent(
  type: string,
  at: string,
  data: Record<string, unknown>,
): EventToAppend {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    data: { occurredAt: at, source: 'cipha', ...data },
    metadata: { receivedAt: at },
  };
}

/** Where a test person lives (a real LSOA and postcode sector of that local authority). */
export interface TestPlace {
  localAuthority: string;
  lsoa: string;
  sector: string;
  district: string;
}

export const LIVERPOOL_L9: TestPlace = {
  localAuthority: 'Liverpool',
  lsoa: 'E01006512',
  sector: 'L9 2',
  district: 'L9',
};

/** A woman born in 1980, IMD decile 2, registered with a GP in `place`. */
export function personRegistered(
  personId: string,
  place: TestPlace = LIVERPOOL_L9,
  at = '2019-01-01T00:00:00Z',
): EventToAppend {
  return canonicalEvent('PersonRegistered', at, {
    personId,
    yearOfBirth: 1980,
    sex: 'F',
    postcodeSector: place.sector,
    postcodeDistrict: place.district,
    lsoa: place.lsoa,
    imdDecile: 2,
    localAuthority: place.localAuthority,
  });
}

/**
 * A Life Rooms user in Liverpool: registered, a visit (the index date, 2021-03-01), wellbeing
 * before and after, A&E for every third; then whatever `more` adds for this person.
 */
export function lifeRoomsUserStream(
  n: number,
  more: (personId: string) => EventToAppend[] = () => [],
): StreamBatch {
  const p = testPersonId(n);
  const lr = (type: string, at: string, data: Record<string, unknown>) =>
    canonicalEvent(type, at, { source: 'liferooms', personId: p, linkKey: null, ...data });
  return {
    streamId: `person-${p}`,
    events: [
      personRegistered(p),
      lr('VisitRecorded', '2021-03-01T10:00:00Z', {
        site: n % 2 ? 'walton' : 'bootle',
        purpose: 'social',
      }),
      lr('WellbeingMeasured', '2021-03-01T11:00:00Z', {
        timing: 'baseline',
        swemwbsRaw: 20,
        swemwbsMetric: 18 + (n % 5),
      }),
      lr('WellbeingMeasured', '2021-09-01T11:00:00Z', {
        timing: 'follow_up',
        swemwbsRaw: 24,
        swemwbsMetric: 20 + (n % 7),
      }),
      ...(n % 3 === 0
        ? [canonicalEvent('AeAttended', '2021-06-01T10:00:00Z', { personId: p })]
        : []),
      ...more(p),
    ],
  };
}

/** A resident who never came to Life Rooms: registered in `place`, A&E for every fourth. */
export function residentStream(n: number, place: TestPlace = LIVERPOOL_L9): StreamBatch {
  const p = testPersonId(n);
  return {
    streamId: `person-${p}`,
    events: [
      personRegistered(p, place),
      ...(n % 4 === 0
        ? [canonicalEvent('AeAttended', '2020-01-15T10:00:00Z', { personId: p })]
        : []),
    ],
  };
}
