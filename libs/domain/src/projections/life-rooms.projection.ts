import { eventDate, isLifeRoomsEvent, ProjectedEvent } from './projected-event';

/**
 * What one Life Rooms event contributes, kept per event id so that counting is a set union:
 * a redelivered event, or events merged in when an unlinked record is linked, never count twice.
 */
export type LifeRoomsFact =
  | { kind: 'visit'; date: string; site: string }
  | { kind: 'enrolment'; date: string; courseId: string }
  | { kind: 'session'; date: string; attended: boolean }
  | { kind: 'referral'; date: string; referrer: string }
  | { kind: 'pathways'; date: string }
  | { kind: 'prescription'; date: string; prescriptionId: string; need: string }
  | { kind: 'outcome'; date: string; prescriptionId: string; outcome: string; at: string }
  | { kind: 'wellbeing'; date: string; at: string; timing: string; metric: number };

/**
 * Life Rooms activity of one subject: a person, or (until linked) an unlinked link key.
 * `facts` is keyed by event id.
 */
export interface LifeRoomsDoc {
  subject: string;
  facts: Record<string, LifeRoomsFact>;
  /**
   * Facts of a person merged into this one, by event id -> the merged pseudonym (absent for the
   * subject's own), so that a split can move them back.
   */
  origins?: Record<string, string>;
}

/** Facts that make someone a cohort member: contact by the person (a referral is not). */
const CONTACT_KINDS: ReadonlySet<LifeRoomsFact['kind']> = new Set([
  'visit',
  'enrolment',
  'session',
  'pathways',
  'prescription',
  'outcome',
  'wellbeing',
]);

/** The fact one event contributes, or undefined when it is not a Life Rooms event. */
export function lifeRoomsFactOf(event: ProjectedEvent): LifeRoomsFact | undefined {
  if (!isLifeRoomsEvent(event.type)) return undefined;
  const d = event.data;
  const date = eventDate(event);
  const at = String(d.occurredAt);
  switch (event.type) {
    case 'VisitRecorded':
      return { kind: 'visit', date, site: String(d.site) };
    case 'CourseEnrolled':
      return { kind: 'enrolment', date, courseId: String(d.courseId) };
    case 'SessionAttended':
      return { kind: 'session', date, attended: d.attended === true };
    case 'ReferralReceived':
      return { kind: 'referral', date, referrer: String(d.referrer) };
    case 'PathwaysContactMade':
      return { kind: 'pathways', date };
    case 'SocialPrescriptionIssued':
      return {
        kind: 'prescription',
        date,
        prescriptionId: String(d.prescriptionId),
        need: String(d.need),
      };
    case 'SocialPrescriptionOutcomeRecorded':
      return {
        kind: 'outcome',
        date,
        at,
        prescriptionId: String(d.prescriptionId),
        outcome: String(d.outcome),
      };
    case 'WellbeingMeasured':
      return {
        kind: 'wellbeing',
        date,
        at,
        timing: String(d.timing),
        metric: Number(d.swemwbsMetric),
      };
    default:
      return undefined;
  }
}

/** Folds one event into a subject's Life Rooms document (idempotent by event id). */
export function evolveLifeRooms(
  doc: LifeRoomsDoc | null,
  event: ProjectedEvent,
  subject: string,
): LifeRoomsDoc | null {
  const fact = lifeRoomsFactOf(event);
  if (!fact) return doc;
  if (doc?.facts[event.eventId]) return doc;
  return { ...(doc ?? {}), subject, facts: { ...(doc?.facts ?? {}), [event.eventId]: fact } };
}

/** Merges an unlinked subject's facts into a person's document (a set union: idempotent). */
export function mergeLifeRooms(
  into: LifeRoomsDoc | null,
  from: LifeRoomsDoc | null,
  subject: string,
): LifeRoomsDoc | null {
  if (!from) return into;
  return { subject, facts: { ...from.facts, ...(into?.facts ?? {}) } };
}

/** The read-model row of one person's Life Rooms use: cohort, engagement and wellbeing. */
export interface LifeRoomsSummary {
  /** First Life Rooms contact: the index date (null when only referrals are known). */
  indexDate: string | null;
  contacts: number;
  visitsBySite: Record<string, number>;
  courseEnrolments: number;
  sessionsAttended: number;
  referrals: number;
  pathwaysContacts: number;
  prescriptionsByNeed: Record<string, number>;
  /** Latest outcome of each prescription, by the prescription's need. */
  outcomesByNeed: Record<string, Record<string, number>>;
  /** SWEMWBS metric score: earliest baseline, latest follow-up, and their difference. */
  wellbeingBaseline: number | null;
  wellbeingFollowUp: number | null;
  wellbeingChange: number | null;
}

export function summariseLifeRooms(doc: LifeRoomsDoc): LifeRoomsSummary {
  const s: LifeRoomsSummary = {
    indexDate: null,
    contacts: 0,
    visitsBySite: {},
    courseEnrolments: 0,
    sessionsAttended: 0,
    referrals: 0,
    pathwaysContacts: 0,
    prescriptionsByNeed: {},
    outcomesByNeed: {},
    wellbeingBaseline: null,
    wellbeingFollowUp: null,
    wellbeingChange: null,
  };
  const needOf = new Map<string, string>();
  const latestOutcome = new Map<string, { at: string; id: string; outcome: string }>();
  let baseline: { at: string; id: string; metric: number } | undefined;
  let followUp: { at: string; id: string; metric: number } | undefined;
  for (const id of Object.keys(doc.facts).sort()) {
    const f = doc.facts[id];
    if (!f) continue;
    if (CONTACT_KINDS.has(f.kind)) {
      s.contacts++;
      if (s.indexDate === null || f.date < s.indexDate) s.indexDate = f.date;
    }
    switch (f.kind) {
      case 'visit':
        s.visitsBySite[f.site] = (s.visitsBySite[f.site] ?? 0) + 1;
        break;
      case 'enrolment':
        s.courseEnrolments++;
        break;
      case 'session':
        if (f.attended) s.sessionsAttended++;
        break;
      case 'referral':
        s.referrals++;
        break;
      case 'pathways':
        s.pathwaysContacts++;
        break;
      case 'prescription':
        s.prescriptionsByNeed[f.need] = (s.prescriptionsByNeed[f.need] ?? 0) + 1;
        needOf.set(f.prescriptionId, f.need);
        break;
      case 'outcome': {
        const last = latestOutcome.get(f.prescriptionId);
        if (!last || f.at > last.at || (f.at === last.at && id > last.id)) {
          latestOutcome.set(f.prescriptionId, { at: f.at, id, outcome: f.outcome });
        }
        break;
      }
      case 'wellbeing':
        if (!Number.isFinite(f.metric)) break;
        if (
          f.timing === 'baseline' &&
          (!baseline || f.at < baseline.at || (f.at === baseline.at && id < baseline.id))
        ) {
          baseline = { at: f.at, id, metric: f.metric };
        }
        if (
          f.timing === 'follow_up' &&
          (!followUp || f.at > followUp.at || (f.at === followUp.at && id > followUp.id))
        ) {
          followUp = { at: f.at, id, metric: f.metric };
        }
        break;
      default: {
        const never: never = f;
        return never;
      }
    }
  }
  for (const [prescriptionId, { outcome }] of latestOutcome) {
    const need = needOf.get(prescriptionId) ?? 'unknown';
    const byOutcome = (s.outcomesByNeed[need] ??= {});
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  }
  s.wellbeingBaseline = baseline?.metric ?? null;
  s.wellbeingFollowUp = followUp?.metric ?? null;
  s.wellbeingChange =
    baseline && followUp && followUp.at > baseline.at
      ? round2(followUp.metric - baseline.metric)
      : null;
  return s;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
