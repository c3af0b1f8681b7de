import {
  evolveLifeRooms,
  evolvePersonProfile,
  evolveServiceUse,
  LifeRoomsDoc,
  mergeLifeRooms,
  PersonProfile,
  ProjectedEvent,
  ServiceUseDoc,
  summariseLifeRooms,
  CostLookup,
  conditionEntryOf,
  isActiveOn,
} from './index';

const P = 'a'.repeat(32);
let n = 0;
function event(
  type: string,
  occurredAt: string,
  data: Record<string, unknown> = {},
): ProjectedEvent {
  n++;
  return {
    eventId: `00000000-0000-5000-8000-${String(n).padStart(12, '0')}`,
    type,
    data: {
      personId: P,
      occurredAt,
      source: type.startsWith('Person') || type.startsWith('Opt') ? 'cipha' : 'liferooms',
      ...data,
    },
  };
}

function given<D>(
  evolve: (doc: D | null, e: ProjectedEvent) => D | null,
  events: ProjectedEvent[],
): D | null {
  return events.reduce<D | null>((doc, e) => evolve(doc, e), null);
}

/** The same events delivered twice (as a redelivering subscription would) give the same state. */
function twice<D>(
  evolve: (doc: D | null, e: ProjectedEvent) => D | null,
  events: ProjectedEvent[],
): D | null {
  return given(evolve, [...events, ...events]);
}

const registered = (at: string, sector: string, imdDecile: number) =>
  event('PersonRegistered', at, {
    source: 'cipha',
    yearOfBirth: 1980,
    sex: 'F',
    postcodeSector: sector,
    postcodeDistrict: sector.split(' ')[0],
    lsoa: 'E01006512',
    imdDecile,
    localAuthority: 'Liverpool',
  });

describe('person profile', () => {
  it('Given two registrations, Then the later one supersedes, whatever the delivery order', () => {
    const first = registered('2021-01-01T00:00:00Z', 'L9 2', 1);
    const moved = registered('2022-05-01T00:00:00Z', 'PR8 1', 7);
    const expected: Partial<PersonProfile> = {
      postcodeSector: 'PR8 1',
      postcodeDistrict: 'PR8',
      imdDecile: 7,
    };
    expect(given(evolvePersonProfile, [first, moved])).toMatchObject(expected);
    expect(given(evolvePersonProfile, [moved, first])).toMatchObject(expected);
    expect(twice(evolvePersonProfile, [first, moved])).toEqual(
      given(evolvePersonProfile, [first, moved]),
    );
  });

  it('Given two registrations, Then both are kept in order with their IMD decile (for the index date)', () => {
    const first = registered('2021-01-01T00:00:00Z', 'L9 2', 1);
    const moved = registered('2022-05-01T00:00:00Z', 'PR8 1', 7);
    const spells = (doc: PersonProfile | null) =>
      doc?.registrations?.map((r) => [r.at.slice(0, 10), r.imdDecile]);
    const expected = [
      ['2021-01-01', 1],
      ['2022-05-01', 7],
    ];
    expect(spells(given(evolvePersonProfile, [first, moved]))).toEqual(expected);
    expect(spells(given(evolvePersonProfile, [moved, first]))).toEqual(expected);
    expect(spells(twice(evolvePersonProfile, [moved, first]))).toEqual(expected);
  });

  it('Given a Life Rooms record after a registration, Then the registration still holds', () => {
    const doc = given(evolvePersonProfile, [
      registered('2021-01-01T00:00:00Z', 'L9 2', 1),
      event('VisitRecorded', '2022-01-01T00:00:00Z', {
        postcodeSector: 'L4 4',
        imdDecile: 2,
        site: 'walton',
      }),
    ]);
    expect(doc?.postcodeSector).toBe('L9 2');
  });

  it('Given an opt-out then a withdrawal, Then the person is back in; Given only the opt-out, out', () => {
    const out = event('OptOutRecorded', '2022-01-01T00:00:00Z', {
      optOutType: 'national_data_opt_out',
    });
    const back = event('OptOutWithdrawn', '2022-06-01T00:00:00Z', {
      optOutType: 'national_data_opt_out',
    });
    expect(given(evolvePersonProfile, [out])?.optedOut).toBe(true);
    expect(given(evolvePersonProfile, [out, back])?.optedOut).toBe(false);
    expect(given(evolvePersonProfile, [back, out])?.optedOut).toBe(false);
    expect(twice(evolvePersonProfile, [out, back])).toEqual(
      given(evolvePersonProfile, [out, back]),
    );
  });

  it('Given a death, Then the death date is recorded once', () => {
    const died = event('PersonDied', '2023-03-04T10:00:00Z');
    expect(twice(evolvePersonProfile, [died])).toMatchObject({
      deathDate: '2023-03-04',
      optedOut: false,
    });
  });

  it('Given an event about nobody, Then there is no document', () => {
    expect(
      given(evolvePersonProfile, [
        event('VisitRecorded', '2022-01-01T00:00:00Z', { personId: null }),
      ]),
    ).toBeNull();
  });
});

describe('Life Rooms (cohort, engagement, wellbeing)', () => {
  const evolve = (doc: LifeRoomsDoc | null, e: ProjectedEvent) =>
    evolveLifeRooms(doc, e, `person:${P}`);
  const events = [
    event('ReferralReceived', '2021-12-01T09:00:00Z', {
      referrer: 'crht',
      referralId: 'r1',
      via: 'elemental',
    }),
    event('VisitRecorded', '2022-01-10T09:00:00Z', { site: 'walton', purpose: 'social' }),
    event('VisitRecorded', '2022-02-10T09:00:00Z', { site: 'walton', purpose: 'course' }),
    event('VisitRecorded', '2022-03-10T09:00:00Z', { site: 'bootle', purpose: 'it' }),
    event('CourseEnrolled', '2022-02-01T09:00:00Z', { courseId: 'c1', delivery: 'online' }),
    event('SessionAttended', '2022-02-08T09:00:00Z', {
      courseId: 'c1',
      sessionId: 's1',
      attended: true,
    }),
    event('SessionAttended', '2022-02-15T09:00:00Z', {
      courseId: 'c1',
      sessionId: 's2',
      attended: false,
    }),
    event('SocialPrescriptionIssued', '2022-02-01T09:00:00Z', {
      prescriptionId: 'p1',
      need: 'debt',
      providerId: 'v1',
    }),
    event('SocialPrescriptionOutcomeRecorded', '2022-03-01T09:00:00Z', {
      prescriptionId: 'p1',
      outcome: 'attended',
    }),
    event('SocialPrescriptionOutcomeRecorded', '2022-04-01T09:00:00Z', {
      prescriptionId: 'p1',
      outcome: 'completed',
    }),
    event('WellbeingMeasured', '2022-01-10T10:00:00Z', {
      timing: 'baseline',
      swemwbsMetric: 19.25,
    }),
    event('WellbeingMeasured', '2022-06-10T10:00:00Z', {
      timing: 'follow_up',
      swemwbsMetric: 23.21,
    }),
  ];

  it('Given Life Rooms events, Then the summary has index date, engagement and wellbeing change', () => {
    const summary = summariseLifeRooms(given(evolve, events)!);
    expect(summary).toEqual({
      indexDate: '2022-01-10',
      contacts: 11,
      visitsBySite: { walton: 2, bootle: 1 },
      courseEnrolments: 1,
      sessionsAttended: 1,
      referrals: 1,
      pathwaysContacts: 0,
      prescriptionsByNeed: { debt: 1 },
      outcomesByNeed: { debt: { completed: 1 } },
      wellbeingBaseline: 19.25,
      wellbeingFollowUp: 23.21,
      wellbeingChange: 3.96,
    });
  });

  it('Given the same events twice, Then the same document', () => {
    expect(twice(evolve, events)).toEqual(given(evolve, events));
  });

  it('Given unlinked records later linked, Then they count for the person once', () => {
    const unlinked = given(
      (d: LifeRoomsDoc | null, e) => evolveLifeRooms(d, e, 'link:k'),
      events.slice(1, 3),
    );
    const person = given(evolve, events.slice(2));
    const merged = mergeLifeRooms(
      mergeLifeRooms(person, unlinked, `person:${P}`),
      unlinked,
      `person:${P}`,
    );
    expect(merged).toEqual(given(evolve, events.slice(1)));
    expect(summariseLifeRooms(merged!).visitsBySite).toEqual({ walton: 2, bootle: 1 });
  });

  it('Given only a referral, Then the person is not in the cohort yet', () => {
    expect(summariseLifeRooms(given(evolve, events.slice(0, 1))!).indexDate).toBeNull();
  });

  it('Given a cipha event, Then no Life Rooms document', () => {
    expect(given(evolve, [registered('2021-01-01T00:00:00Z', 'L9 2', 1)])).toBeNull();
  });
});

describe('service use', () => {
  const costs: CostLookup = (recordType, variant) =>
    recordType === 'ae_attendance'
      ? { costGbp: 300, sourceRow: `A&E type ${variant} | PSSRU` }
      : recordType === 'inpatient_admission'
        ? { costGbp: 4000, sourceRow: 'Non-elective | PSSRU' }
        : undefined;
  const evolve = (doc: ServiceUseDoc | null, e: ProjectedEvent) => evolveServiceUse(doc, e, costs);
  const events = [
    event('AeAttended', '2022-01-03T01:00:00Z', { source: 'cipha', departmentType: 1 }),
    event('AeAttended', '2022-01-20T01:00:00Z', { source: 'cipha', departmentType: 1 }),
    event('InpatientAdmitted', '2022-02-01T01:00:00Z', {
      source: 'cipha',
      method: 'emergency',
      specialty: 'mental_health',
    }),
    event('Nhs111Called', '2022-02-02T01:00:00Z', { source: 'cipha' }),
  ];

  it('Given activity, Then monthly counts and costs by activity type, cost counted once per event', () => {
    expect(given(evolve, events)?.months).toEqual({
      '2022-01-01': { ae_attendance: { events: 2, costGbp: 600 } },
      '2022-02-01': {
        emergency_admission: { events: 1, costGbp: 4000 },
        crisis_contact: { events: 1, costGbp: 0 },
        nhs111_call: { events: 1, costGbp: 0 },
      },
    });
  });

  it('Given the same events twice, Then the same document', () => {
    expect(twice(evolve, events)).toEqual(given(evolve, events));
  });
});

describe('condition register projection', () => {
  const condition = (data: Record<string, unknown>) => ({
    eventId: 'e-1',
    type: 'ConditionRecorded',
    data: { personId: 'p-1', occurredAt: '2023-05-01T10:00:00.000Z', cluster: 'copd', ...data },
  });

  it('keeps cluster, recorded day and resolved day', () => {
    expect(conditionEntryOf(condition({ resolvedAt: '2024-01-02T09:00:00.000Z' }))).toEqual({
      eventId: 'e-1',
      personId: 'p-1',
      cluster: 'copd',
      recordedOn: '2023-05-01',
      resolvedOn: '2024-01-02',
    });
  });

  it('ignores other events and records about nobody', () => {
    expect(conditionEntryOf({ ...condition({}), type: 'AeAttended' })).toBeUndefined();
    expect(conditionEntryOf(condition({ personId: null }))).toBeUndefined();
  });

  it('is active from the recorded day until the day before it is resolved', () => {
    const entry = { recordedOn: '2023-05-01', resolvedOn: '2024-01-02' };
    expect(isActiveOn(entry, '2023-04-30')).toBe(false);
    expect(isActiveOn(entry, '2023-05-01')).toBe(true);
    expect(isActiveOn(entry, '2024-01-01')).toBe(true);
    expect(isActiveOn(entry, '2024-01-02')).toBe(false);
    expect(isActiveOn({ recordedOn: '2023-05-01', resolvedOn: null }, '2099-01-01')).toBe(true);
  });
});
