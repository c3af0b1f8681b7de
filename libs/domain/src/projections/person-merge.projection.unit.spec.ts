import { evolveLifeRooms, type LifeRoomsDoc } from './life-rooms.projection';
import {
  evolveAttributedProfile,
  mergeLifeRoomsDocs,
  mergeProfiles,
  splitLifeRoomsDocs,
  splitProfiles,
  withFactOrigin,
} from './person-merge.projection';
import { evolvePersonProfile, type PersonProfile } from './person-profile.projection';
import type { ProjectedEvent } from './projected-event';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const registration = (id: string, personId: string, at: string, sector: string, imd: number) => ({
  eventId: id,
  type: 'PersonRegistered',
  data: {
    personId,
    occurredAt: at,
    source: 'cipha',
    yearOfBirth: 1970,
    sex: 'F',
    postcodeSector: sector,
    postcodeDistrict: sector.split(' ')[0],
    lsoa: null,
    imdDecile: imd,
    localAuthority: 'Liverpool',
  },
});
const EVENTS: ProjectedEvent[] = [
  registration('e1', A, '2019-01-01T00:00:00Z', 'L9 2', 1),
  registration('e2', B, '2021-01-01T00:00:00Z', 'L4 0', 3),
  {
    eventId: 'e3',
    type: 'OptOutRecorded',
    data: { personId: B, occurredAt: '2022-01-01T00:00:00Z' },
  },
  { eventId: 'e4', type: 'PersonDied', data: { personId: A, occurredAt: '2023-05-01T00:00:00Z' } },
];

const fold = (events: ProjectedEvent[], personId: string) =>
  events
    .filter((e) => e.data.personId === personId)
    .reduce<PersonProfile | null>((doc, e) => evolvePersonProfile(doc, e), null);

describe('profiles of merged persons', () => {
  const mergedAfter = mergeProfiles(fold(EVENTS, A), A, fold(EVENTS, B), B);
  it('combine: the latest registration sets the demographics, the opt-out holds, both spells kept', () => {
    expect(mergedAfter).toMatchObject({
      personId: A,
      postcodeSector: 'L4 0',
      imdDecile: 3,
      optedOut: true,
      deathDate: '2023-05-01',
    });
    expect(mergedAfter?.registrations?.map((r) => r.eventId)).toEqual(['e1', 'e2']);
  });

  it('are the same whether the merge comes before or after the events, in any order', () => {
    for (const events of [EVENTS, [...EVENTS].reverse()]) {
      const mergedFirst = events.reduce<PersonProfile | null>(
        (doc, e) => evolveAttributedProfile(doc, A, e),
        null,
      );
      expect(mergedFirst).toEqual(mergedAfter);
    }
  });

  it('split back into exactly what each had alone', () => {
    expect(splitProfiles(mergedAfter, A, B)).toEqual({
      survivor: fold(EVENTS, A),
      merged: fold(EVENTS, B),
    });
  });

  it('split to nothing for a survivor that had no records of its own', () => {
    const onlyB = mergeProfiles(null, A, fold(EVENTS, B), B);
    expect(onlyB?.personId).toBe(A);
    expect(splitProfiles(onlyB, A, B)).toEqual({ survivor: null, merged: fold(EVENTS, B) });
  });
});

describe('Life Rooms documents of merged persons', () => {
  const visit = (id: string, personId: string): ProjectedEvent => ({
    eventId: id,
    type: 'VisitRecorded',
    data: { personId, occurredAt: '2023-01-01T10:00:00Z', site: 'walton' },
  });
  const a = evolveLifeRooms(null, visit('v1', A), `person:${A}`);
  const b = evolveLifeRooms(null, visit('v2', B), `person:${B}`);

  it('merge marks the merged person facts and split moves exactly those back', () => {
    const merged = mergeLifeRoomsDocs(a, `person:${A}`, b, B) as LifeRoomsDoc;
    expect(Object.keys(merged.facts).sort()).toEqual(['v1', 'v2']);
    expect(merged.origins).toEqual({ v2: B });
    expect(splitLifeRoomsDocs(merged, `person:${A}`, `person:${B}`, B)).toEqual({
      survivor: a,
      merged: b,
    });
  });

  it('a fact arriving after the merge, marked, splits back too', () => {
    const merged = mergeLifeRoomsDocs(a, `person:${A}`, null, B) as LifeRoomsDoc;
    const later = withFactOrigin(
      evolveLifeRooms(merged, visit('v2', B), `person:${A}`) as LifeRoomsDoc,
      'v2',
      B,
    );
    expect(later).toEqual(mergeLifeRoomsDocs(a, `person:${A}`, b, B));
    expect(splitLifeRoomsDocs(later, `person:${A}`, `person:${B}`, B).merged).toEqual(b);
  });
});
