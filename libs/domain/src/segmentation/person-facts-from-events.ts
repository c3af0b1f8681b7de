import { activityTypesOf } from '../outcomes/outcome-measures';
import { conditionEntryOf } from '../projections/condition-register.projection';
import { lifeRoomsFactOf, type LifeRoomsFact } from '../projections/life-rooms.projection';
import { evolvePersonProfile, type PersonProfile } from '../projections/person-profile.projection';
import { eventDate, type ProjectedEvent } from '../projections/projected-event';
import type { LifeRoomsFacts, PersonFacts } from './person-facts';

/** The Life Rooms part of a person's facts, from the facts the Life Rooms projection keeps. */
export function lifeRoomsFactsFrom(facts: Iterable<LifeRoomsFact>): LifeRoomsFacts {
  const out: LifeRoomsFacts = { contacts: [], referrals: [], prescriptions: [], outcomes: [] };
  for (const f of facts) {
    switch (f.kind) {
      case 'referral':
        out.referrals.push(f.date);
        break;
      case 'prescription':
        out.prescriptions.push({ prescriptionId: f.prescriptionId, need: f.need, date: f.date });
        out.contacts.push(f.date);
        break;
      case 'outcome':
        out.outcomes.push({
          prescriptionId: f.prescriptionId,
          outcome: f.outcome,
          date: f.date,
          at: f.at,
        });
        out.contacts.push(f.date);
        break;
      case 'visit':
      case 'enrolment':
      case 'session':
      case 'pathways':
      case 'wellbeing':
        out.contacts.push(f.date);
        break;
      default: {
        const never: never = f;
        return never;
      }
    }
  }
  return out;
}

/** The facts of a person from the read-model pieces: profile, register, activity, Life Rooms. */
export function personFactsOf(
  profile: PersonProfile,
  conditions: PersonFacts['conditions'],
  activity: PersonFacts['activity'],
  lifeRooms: Iterable<LifeRoomsFact>,
): PersonFacts {
  return {
    personId: profile.personId,
    yearOfBirth: profile.yearOfBirth,
    sex: profile.sex,
    imdDecile: profile.imdDecile,
    deathDate: profile.deathDate,
    optedOut: profile.optedOut,
    conditions,
    activity,
    lifeRooms: lifeRoomsFactsFrom(lifeRooms),
  };
}

/**
 * A person's facts straight from their events, through the same projections the projector runs
 * (profile, condition register, activity, Life Rooms). The generator uses it for the ground
 * truth of segment sizes; undefined when the events give the person no profile (as in the
 * read models: such a person is not in the population).
 *
 * `lifeRoomsEvents` are Life Rooms events attributed to the person (with or without an NHS number).
 */
export function personFactsFromEvents(
  events: readonly ProjectedEvent[],
  lifeRoomsEvents: readonly ProjectedEvent[] = [],
): PersonFacts | undefined {
  let profile: PersonProfile | null = null;
  const conditions: PersonFacts['conditions'] = [];
  const activity: PersonFacts['activity'] = [];
  for (const event of events) {
    profile = evolvePersonProfile(profile, event);
    const condition = conditionEntryOf(event);
    if (condition)
      conditions.push({
        cluster: condition.cluster,
        recordedOn: condition.recordedOn,
        resolvedOn: condition.resolvedOn,
      });
    if (typeof event.data.personId === 'string')
      for (const a of activityTypesOf(event.type, event.data))
        activity.push({ activity: a, date: eventDate(event) });
  }
  if (!profile) return undefined;
  const lifeRooms = new Map<string, LifeRoomsFact>();
  for (const event of lifeRoomsEvents) {
    const fact = lifeRoomsFactOf(event);
    if (fact) lifeRooms.set(event.eventId, fact);
  }
  return personFactsOf(profile, conditions, activity, lifeRooms.values());
}
