import { DraftRecord } from './draft-record';
import { DAY_MS, HOUR_MS, MINUTE_MS, YEAR_MS, addMonths, isoDate, isoDateTime } from './dates';
import { Person, residenceAt } from './population';
import { CHANNELS, Channel, Measure, MEASURES, RateFactors, ageBand, mortalityRate } from './rates';
import { Rng, createRng, intBetween, normal, poisson, weighted } from './random';
import { NO_THREATS, ThreatOptions, crisisEpisode, needDrift } from './threats';

/** Fixed inputs of the system-activity simulation. */
export interface SystemContext {
  seed: string;
  startMs: number;
  endMs: number;
  /** Month boundaries from start to end (length months + 1). */
  monthStarts: readonly number[];
  /** Channel multipliers after a user's index date (from the planted effects). */
  multipliers: Readonly<Record<Channel, number>>;
  effects: Readonly<Partial<Record<Measure, number>>>;
  /**
   * The rate of a channel; `annualRate` unless a test fixes the rates. Must depend on age only
   * through its band (`ageBand`): rates are recomputed when the band or the decile changes.
   */
  rate: (channel: Channel, f: RateFactors) => number;
  mortality: boolean;
  /** Pre-index dip and need drift (default: neither). */
  threats?: ThreatOptions;
}

/** Running sums of expected intensities (the ground truth) next to what was drawn. */
export interface SystemTally {
  expected: Record<Channel, number>;
  generated: Record<Channel, number>;
  /** Person-years at risk of cohort members in the 12 months after their index date. */
  followUpPersonYears: number;
  followUp: Record<string, { without: number; with: number }>;
  deaths: number;
}

/** A tally with a follow-up truth for every measure (zero effect where nothing was planted). */
export function emptyTally(): SystemTally {
  const zero = () => Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
  return {
    expected: zero(),
    generated: zero(),
    followUpPersonYears: 0,
    followUp: Object.fromEntries(Object.keys(MEASURES).map((m) => [m, { without: 0, with: 0 }])),
    deaths: 0,
  };
}

const OFFICE_HOURS: ReadonlySet<Channel> = new Set<Channel>([
  'gp',
  'elective',
  'outpatient',
  'mh_routine',
]);

interface Segment {
  from: number;
  to: number;
  treated: boolean;
  /** Inside a crisis episode before the index date (the pre-index dip). */
  dip: boolean;
}

/** A month cut at the episode start and the index date when they fall inside it. */
function segmentsOf(
  from: number,
  to: number,
  indexMs: number | undefined,
  episode: { from: number; to: number } | undefined,
): Segment[] {
  const cuts = [from];
  for (const t of [episode?.from, indexMs]) if (t !== undefined && t > from && t < to) cuts.push(t);
  cuts.push(to);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i];
    out.push({
      from: a,
      to: cuts[i + 1],
      treated: indexMs !== undefined && a >= indexMs,
      dip: episode !== undefined && a >= episode.from && a < episode.to,
    });
  }
  return out;
}

const PHYSICAL_EMERGENCY = weighted([
  ['general_medicine', 0.35],
  ['geriatric_medicine', 0.12],
  ['general_surgery', 0.15],
  ['trauma_orthopaedics', 0.12],
  ['cardiology', 0.1],
  ['respiratory_medicine', 0.1],
  ['gastroenterology', 0.06],
] as const);
const ELECTIVE = weighted([
  ['general_surgery', 0.25],
  ['trauma_orthopaedics', 0.2],
  ['ophthalmology', 0.15],
  ['urology', 0.1],
  ['gynaecology', 0.1],
  ['ent', 0.1],
  ['gastroenterology', 0.1],
] as const);
const OUTPATIENT = weighted([
  ['trauma_orthopaedics', 0.15],
  ['ophthalmology', 0.12],
  ['cardiology', 0.1],
  ['dermatology', 0.1],
  ['general_surgery', 0.1],
  ['gynaecology', 0.08],
  ['ent', 0.08],
  ['respiratory_medicine', 0.07],
  ['rheumatology', 0.07],
  ['diabetes_endocrinology', 0.07],
  ['neurology', 0.06],
] as const);
const GP_MODE = weighted([
  ['face_to_face', 0.6],
  ['telephone', 0.33],
  ['home_visit', 0.02],
  ['online', 0.05],
] as const);
const AE_TYPE = weighted([
  [1, 0.7],
  [2, 0.05],
  [3, 0.2],
  [4, 0.05],
] as const);
const AE_DISPOSAL = weighted([
  ['admitted', 0.2],
  ['discharged', 0.6],
  ['referred', 0.12],
  ['left', 0.08],
] as const);
const MH_ROUTINE_TEAM = weighted([
  ['cmht', 0.45],
  ['iapt', 0.35],
  ['eit', 0.1],
  ['inpatient', 0.1],
] as const);
const MH_CRISIS_TEAM = weighted([
  ['crht', 0.7],
  ['liaison', 0.3],
] as const);
const CONTACT_TYPE = weighted([
  ['face_to_face', 0.6],
  ['telephone', 0.3],
  ['video', 0.1],
] as const);
const AMBULANCE_OUTCOME = weighted([
  ['conveyed', 0.6],
  ['see_and_treat', 0.28],
  ['hear_and_treat', 0.12],
] as const);

function cipha(
  recordType: string,
  person: Person,
  occurredMs: number,
  fields: DraftRecord['fields'],
): DraftRecord {
  return { source: 'cipha', recordType, occurredMs, nhsNumber: person.nhsNumber, fields };
}

function admission(
  person: Person,
  at: number,
  method: string,
  specialty: string,
  stayDays: number,
  endMs: number,
): DraftRecord {
  const discharged = at + stayDays * DAY_MS;
  // Still in hospital when the extract was taken: no discharge date yet.
  const fields: DraftRecord['fields'] = { method, specialty };
  if (discharged < endMs) fields.discharged_at = isoDateTime(discharged);
  return cipha('inpatient_admission', person, at, fields);
}

function eventFor(
  channel: Channel,
  person: Person,
  at: number,
  rng: Rng,
  endMs: number,
): DraftRecord {
  switch (channel) {
    case 'gp':
      return cipha('gp_appointment', person, at, {
        practice_code: residenceAt(person, at).practiceCode,
        mode: GP_MODE(rng),
      });
    case 'ae':
      return cipha('ae_attendance', person, at, {
        department_type: AE_TYPE(rng),
        disposal: AE_DISPOSAL(rng),
      });
    case 'emergency_physical':
      return admission(
        person,
        at,
        'emergency',
        PHYSICAL_EMERGENCY(rng),
        Math.round(Math.exp(1.2 + 0.8 * normal(rng))),
        endMs,
      );
    case 'emergency_mental_health':
      return admission(person, at, 'emergency', 'mental_health', intBetween(rng, 7, 60), endMs);
    case 'elective':
      return admission(
        person,
        at,
        'elective',
        ELECTIVE(rng),
        rng() < 0.4 ? 0 : intBetween(rng, 1, 6),
        endMs,
      );
    case 'outpatient':
      return cipha('outpatient_attendance', person, at, {
        specialty: OUTPATIENT(rng),
        attended: rng() < 0.92,
      });
    case 'mh_routine':
      return cipha('mental_health_contact', person, at, {
        team: MH_ROUTINE_TEAM(rng),
        contact_type: CONTACT_TYPE(rng),
      });
    case 'mh_crisis':
      return cipha('mental_health_contact', person, at, {
        team: MH_CRISIS_TEAM(rng),
        contact_type: CONTACT_TYPE(rng),
      });
    case 'nhs111':
      return cipha('nhs111_call', person, at, {});
    case 'ambulance':
      return cipha('ambulance_incident', person, at, { outcome: AMBULANCE_OUTCOME(rng) });
  }
}

/**
 * Draws one person's system activity month by month: in each month and channel the count is
 * Poisson with mean = annual rate x exposure (years), times the planted factor for the part of
 * the month after a cohort member's index date; event times are uniform over the exposure.
 * Adds the expected intensities to `tally` and returns the death time, if any.
 */
export function simulateSystemActivity(
  person: Person,
  ctx: SystemContext,
  tally: SystemTally,
  emit: (record: DraftRecord) => void,
): number | undefined {
  // Local copies of the imported constants: the compiled module reads an import through a
  // getter on every use, and this loop runs per person, month and channel (17 M times by default).
  const channels = CHANNELS;
  const yearMs = YEAR_MS;
  const rngs = channels.map((c) => createRng(ctx.seed, 'sys', person.index, c));
  const threats = ctx.threats ?? NO_THREATS;
  const episode = crisisEpisode(person, ctx.seed, threats);
  const drift = needDrift(person, ctx.seed, ctx.monthStarts.length, threats);
  const dipFactor = CHANNELS.map((c) => threats.dipFactors[c] ?? 1);
  const deathRng = createRng(ctx.seed, 'death', person.index);
  const indexMs = person.indexMs;
  const followEnd = indexMs === undefined ? undefined : addMonths(indexMs, 12);
  let deathMs: number | undefined;
  const rates = new Float64Array(channels.length);
  const means = new Float64Array(3);
  let ratesKey = -1;
  for (let m = 0; m + 1 < ctx.monthStarts.length && deathMs === undefined; m++) {
    const from = ctx.monthStarts[m];
    let to = ctx.monthStarts[m + 1];
    const residence = residenceAt(person, from);
    const factors: RateFactors = {
      age: (from - person.birthMs) / yearMs,
      sex: person.sex,
      imdDecile: residence.home.modelDecile,
      need: drift ? person.need * drift[m] : person.need,
    };
    // Rates change only with the age band and the decile (a move), or every month with drift.
    const key = drift ? m : ageBand(factors.age) * 100 + factors.imdDecile;
    if (key !== ratesKey) {
      for (let c = 0; c < channels.length; c++) rates[c] = ctx.rate(channels[c], factors);
      ratesKey = key;
    }
    // Cohort members are alive at their index date: their risk of death starts there.
    const atRiskFrom = indexMs === undefined ? from : Math.max(from, indexMs);
    if (ctx.mortality && atRiskFrom < to) {
      const hazard = mortalityRate(factors) * ((to - atRiskFrom) / yearMs);
      if (deathRng() < 1 - Math.exp(-hazard)) {
        deathMs = atRiskFrom + Math.floor(deathRng() * (to - atRiskFrom));
        to = deathMs;
        tally.deaths++;
        emit(cipha('death', person, deathMs, {}));
      }
    }
    const segments = segmentsOf(from, to, indexMs, episode);
    for (let c = 0; c < channels.length; c++) {
      const channel = channels[c];
      const base = rates[c];
      const multiplier = ctx.multipliers[channel];
      let total = 0;
      for (let s = 0; s < segments.length; s++) {
        const segment = segments[s];
        means[s] =
          base *
          ((segment.to - segment.from) / yearMs) *
          (segment.treated ? multiplier : 1) *
          (segment.dip ? dipFactor[c] : 1);
        total += means[s];
      }
      tally.expected[channel] += total;
      const rng = rngs[c];
      const n = total > 0 ? poisson(rng, total) : 0;
      tally.generated[channel] += n;
      for (let k = 0; k < n; k++) {
        let u = rng() * total;
        let s = 0;
        while (s < segments.length - 1 && u >= means[s]) u -= means[s++];
        const segment = segments[s];
        let at = segment.from + Math.floor(rng() * (segment.to - segment.from));
        if (OFFICE_HOURS.has(channel)) {
          // Planned care happens in the day: same date, 08:00-18:00, if still inside the segment.
          const moved =
            Math.floor(at / DAY_MS) * DAY_MS + 8 * HOUR_MS + Math.floor(rng() * 600) * MINUTE_MS;
          if (moved >= segment.from && moved < segment.to) at = moved;
        }
        emit(eventFor(channel, person, at, rng, ctx.endMs));
      }
    }
    if (followEnd !== undefined && indexMs !== undefined) {
      for (const s of segments) {
        if (!s.treated) continue;
        const years = Math.max(0, Math.min(s.to, followEnd) - Math.max(s.from, indexMs)) / yearMs;
        if (years === 0) continue;
        tally.followUpPersonYears += years;
        for (const [measure, truth] of Object.entries(tally.followUp)) {
          for (const channel of MEASURES[measure as Measure].channels) {
            const base = rates[channels.indexOf(channel)] * years;
            truth.without += base;
            truth.with += base * ctx.multipliers[channel];
          }
        }
      }
    }
  }
  return deathMs;
}

/** Registration records: the first one, and a later one for a move (before death). */
export function registrations(person: Person, deathMs: number | undefined): DraftRecord[] {
  return person.residences
    .filter((r) => deathMs === undefined || r.fromMs < deathMs)
    .map((r) =>
      cipha('registration', person, r.fromMs, {
        date_of_birth: isoDate(person.birthMs),
        sex: person.sex,
        postcode: r.home.postcode,
        practice_code: r.practiceCode,
      }),
    );
}

/** National data opt-out (and a later opt-in that withdraws it), if drawn and before death. */
export function optOutRecords(person: Person, deathMs: number | undefined): DraftRecord[] {
  const out: DraftRecord[] = [];
  const alive = (ms: number) => deathMs === undefined || ms < deathMs;
  if (person.optOutMs !== undefined && alive(person.optOutMs)) {
    out.push(cipha('opt_out', person, person.optOutMs, { type: 'national_data_opt_out' }));
    if (person.optInMs !== undefined && alive(person.optInMs)) {
      out.push(cipha('opt_in', person, person.optInMs, { type: 'national_data_opt_out' }));
    }
  }
  return out;
}
