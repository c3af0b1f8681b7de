import {
  SCHEMA_VERSION,
  eventIdFor,
  eventTypeFor,
  type CiphaRecord,
  type LiferoomsRecord,
  type Source,
  type SourceRecord,
  type SourceRecordEvent,
} from '@linkage/contracts';
import { tryNormalisePostcode, yearOfBirth, type Pseudonymiser } from '@linkage/pseudonymisation';
import { swemwbsMetric, type PostcodeLookup } from '@linkage/reference';

/** What the edge needs to turn a validated record into a canonical event. */
export interface EdgeContext {
  pseudonymiser: Pseudonymiser;
  postcodes: PostcodeLookup;
  receivedAt: Date;
  ingestRunId?: string;
  /** 1-based line of the record in its file, when it came from one. */
  line?: number;
}

type Data = Record<string, unknown>;

// Identifiers end here: the NHS number becomes a person id, name + date of birth + postcode a
// link key, the date of birth a year and the postcode a sector/district and reference areas.
function identityAndDemographics(source: Source, record: SourceRecord, ctx: EdgeContext): Data {
  const r = record as Partial<
    Record<
      'nhs_number' | 'given_name' | 'family_name' | 'date_of_birth' | 'postcode' | 'sex',
      string
    >
  >;
  const data: Data = {
    personId: r.nhs_number ? ctx.pseudonymiser.personId(r.nhs_number) : null,
    linkKey:
      source === 'liferooms' && r.given_name && r.family_name && r.date_of_birth && r.postcode
        ? ctx.pseudonymiser.linkKey({
            givenName: r.given_name,
            familyName: r.family_name,
            dateOfBirth: r.date_of_birth,
            postcode: r.postcode,
          })
        : null,
    keyId: ctx.pseudonymiser.keyId,
  };
  if (source === 'liferooms') {
    // Bloom-filter encodings for fuzzy linkage: on every Life Rooms record (with an NHS number
    // they describe the person; without one they are what the record is linked on).
    const encoding = ctx.pseudonymiser.linkageEncoding({
      givenName: r.given_name,
      familyName: r.family_name,
      dateOfBirth: r.date_of_birth,
      postcode: r.postcode,
    });
    if (encoding) data.linkageEncoding = encoding;
  }
  if (r.date_of_birth) data.yearOfBirth = yearOfBirth(r.date_of_birth);
  if (r.sex) data.sex = r.sex;
  const postcode = r.postcode ? tryNormalisePostcode(r.postcode) : undefined;
  if (postcode) {
    const ref = ctx.postcodes.lookup(postcode.postcode);
    data.postcodeSector = postcode.sector;
    data.postcodeDistrict = postcode.district;
    data.lsoa = ref?.lsoa ?? null;
    data.imdDecile = ref?.imdDecile ?? null;
    data.localAuthority = ref?.localAuthority ?? null;
    data.postcodeInLookup = ref !== undefined;
  }
  return data;
}

function liferoomsFields(record: LiferoomsRecord): Data {
  switch (record.record_type) {
    case 'visit':
      return { site: record.site, purpose: record.purpose };
    case 'course_enrolment':
      return {
        courseId: record.course_id,
        // The free-text title is never stored: `courseId` names the course.
        delivery: record.delivery,
      };
    case 'session_attendance':
      return {
        courseId: record.course_id,
        sessionId: record.session_id,
        attended: record.attended,
      };
    case 'referral':
      return { referralId: record.referral_id, referrer: record.referrer, via: record.via };
    case 'pathways_contact':
      return { contactId: record.contact_id, mode: record.mode };
    case 'social_prescription':
      return {
        prescriptionId: record.prescription_id,
        need: record.need,
        providerId: record.provider_id,
      };
    case 'prescription_outcome':
      return { prescriptionId: record.prescription_id, outcome: record.outcome };
    case 'wellbeing_measure': {
      const raw = record.items.reduce((sum, item) => sum + item, 0);
      return {
        instrument: record.instrument,
        items: [...record.items],
        timing: record.timing,
        swemwbsRaw: raw,
        swemwbsMetric: swemwbsMetric(raw),
      };
    }
    default:
      return assertNever(record);
  }
}

function ciphaFields(record: CiphaRecord): Data {
  switch (record.record_type) {
    case 'registration':
      return { practiceCode: record.practice_code };
    case 'gp_appointment':
      return { practiceCode: record.practice_code, mode: record.mode };
    case 'ae_attendance':
      return { departmentType: record.department_type, disposal: record.disposal };
    case 'inpatient_admission':
      return {
        method: record.method,
        specialty: record.specialty,
        ...(record.discharged_at !== undefined
          ? { dischargedAt: new Date(record.discharged_at).toISOString() }
          : {}),
      };
    case 'outpatient_attendance':
      return { specialty: record.specialty, attended: record.attended };
    case 'mental_health_contact':
      return { team: record.team, contactType: record.contact_type };
    case 'ambulance_incident':
      return { outcome: record.outcome };
    case 'opt_out':
    case 'opt_in':
      return { optOutType: record.type };
    case 'condition':
      return {
        cluster: record.cluster,
        ...(record.resolved_at !== undefined
          ? { resolvedAt: new Date(record.resolved_at).toISOString() }
          : {}),
      };
    case 'nhs111_call':
    case 'death':
      return {};
    default:
      return assertNever(record);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled record type ${(value as { record_type?: string }).record_type}`);
}

/**
 * Maps a validated source record (from `validateSourceRecord`) to its canonical v1 event, per
 * docs/ARCHITECTURE.md. The event holds pseudonyms and coarse demographics only: no NHS number,
 * name, date of birth, full postcode, free text or unknown field.
 */
export function toCanonicalEvent(
  source: Source,
  record: SourceRecord,
  ctx: EdgeContext,
): SourceRecordEvent {
  const type = eventTypeFor(source, record.record_type);
  if (!type) throw new Error(`no canonical event for ${source} record type`);
  // Object.assign rather than spreads: this runs for every record.
  const data: Data = Object.assign(
    {
      source,
      recordId: record.record_id,
      recordType: record.record_type,
      occurredAt: new Date(record.occurred_at).toISOString(),
    },
    identityAndDemographics(source, record, ctx),
    source === 'liferooms'
      ? liferoomsFields(record as LiferoomsRecord)
      : ciphaFields(record as CiphaRecord),
  );
  const metadata: Data = { receivedAt: ctx.receivedAt.toISOString() };
  if (ctx.ingestRunId !== undefined) metadata.ingestRunId = ctx.ingestRunId;
  if (ctx.line !== undefined) metadata.line = ctx.line;
  return {
    eventId: eventIdFor(source, record.record_id),
    type,
    schemaVersion: SCHEMA_VERSION,
    data,
    metadata,
  } as SourceRecordEvent;
}
