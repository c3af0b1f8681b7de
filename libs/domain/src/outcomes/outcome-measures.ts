/**
 * Which canonical events count towards which outcome measure. One definition, shared by the
 * projector (which classifies events as it stores them) and the outcome statistics.
 */
export const OUTCOME_MEASURES = [
  'gp',
  'ae',
  'emergency_admission',
  'mental_health',
  'crisis',
  'nhs111',
  'ambulance',
  'elective_admission',
  'cost',
] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];

/** Activity types the projector records per event (a measure can span several). */
export const ACTIVITY_TYPES = [
  'gp_appointment',
  'ae_attendance',
  'emergency_admission',
  'other_admission',
  'outpatient_attendance',
  'mental_health_contact',
  'crisis_contact',
  'nhs111_call',
  'ambulance_incident',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/** Mental health teams whose contacts are crisis care. */
export const CRISIS_TEAMS: readonly string[] = ['crht', 'liaison'];

/**
 * Mental-health treatment specialties: NHS main specialty codes 700-729 (learning disability,
 * adult mental illness, child and adolescent psychiatry, forensic psychiatry, psychotherapy, old
 * age psychiatry, ...) or a name that says so.
 */
export function isMentalHealthSpecialty(specialty: unknown): boolean {
  if (typeof specialty !== 'string') return false;
  const s = specialty.trim().toLowerCase();
  if (/^7[0-2]\d$/.test(s)) return true;
  return /psychiatr|mental|psycholog|psychotherap/.test(s);
}

/**
 * The activity types one event counts as (empty for events that are not service use).
 * A mental-health emergency admission is both an emergency admission and a crisis contact; a
 * crisis-team contact is both a mental-health contact and a crisis contact.
 */
export function activityTypesOf(type: string, data: Record<string, unknown>): ActivityType[] {
  switch (type) {
    case 'GpAppointmentAttended':
      return ['gp_appointment'];
    case 'AeAttended':
      return ['ae_attendance'];
    case 'InpatientAdmitted':
      if (data.method !== 'emergency') return ['other_admission'];
      return isMentalHealthSpecialty(data.specialty)
        ? ['emergency_admission', 'crisis_contact']
        : ['emergency_admission'];
    case 'OutpatientAttended':
      return data.attended === false ? [] : ['outpatient_attendance'];
    case 'MentalHealthContactMade':
      return CRISIS_TEAMS.includes(String(data.team))
        ? ['mental_health_contact', 'crisis_contact']
        : ['mental_health_contact'];
    case 'Nhs111Called':
      return ['nhs111_call'];
    case 'AmbulanceIncidentRecorded':
      return ['ambulance_incident'];
    default:
      return [];
  }
}

/**
 * Activity that counts as prior service use when matching: GP appointments and outpatient
 * attendances (routine contact with services). Emergency, crisis and inpatient care are left out
 * on purpose: matching on a count that includes an outcome's own events selects controls on
 * chance highs of that outcome in the baseline year, which regress to the mean afterwards and
 * bias the difference in differences towards zero. Known gap: `gp` itself (and the GP and
 * outpatient part of `cost`) keeps that bias.
 */
export const PRIOR_USE_ACTIVITIES: readonly ActivityType[] = [
  'gp_appointment',
  'outpatient_attendance',
];

/** The activity type an outcome measure counts (`cost` sums every costed activity instead). */
export const MEASURE_ACTIVITY: Record<Exclude<OutcomeMeasure, 'cost'>, ActivityType> = {
  gp: 'gp_appointment',
  ae: 'ae_attendance',
  emergency_admission: 'emergency_admission',
  mental_health: 'mental_health_contact',
  crisis: 'crisis_contact',
  nhs111: 'nhs111_call',
  ambulance: 'ambulance_incident',
  // The negative control (see NEGATIVE_CONTROL_MEASURE): admissions not by the emergency route.
  elective_admission: 'other_admission',
};

export function isOutcomeMeasure(value: unknown): value is OutcomeMeasure {
  return typeof value === 'string' && (OUTCOME_MEASURES as readonly string[]).includes(value);
}
