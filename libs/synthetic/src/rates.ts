/**
 * The rate model: every kind of system activity is a channel with an annual rate that depends on
 * age, sex, IMD decile and a hidden need level (a mean-one lognormal frailty). Events are drawn
 * as a Poisson process per person per month from these rates. Pure functions.
 */

export const CHANNELS = [
  'gp',
  'ae',
  'emergency_physical',
  'emergency_mental_health',
  'elective',
  'outpatient',
  'mh_routine',
  'mh_crisis',
  'nhs111',
  'ambulance',
] as const;
export type Channel = (typeof CHANNELS)[number];

interface ChannelParameters {
  /** Events per person-year for a 45-year-old of average deprivation and need 1. */
  base: number;
  /** Rate multiplies by need^needPower. */
  needPower: number;
  /** Multipliers by age band: under 25, 25-44, 45-64, 65-79, 80 and over. */
  age: readonly [number, number, number, number, number];
  female: number;
  male: number;
  /** Rate multiplies by 1 + deprivation * (5.5 - IMD decile): decile 1 highest. */
  deprivation: number;
}

const PARAMETERS: Record<Channel, ChannelParameters> = {
  gp: {
    base: 4.6,
    needPower: 0.7,
    age: [0.7, 0.85, 1.05, 1.45, 1.9],
    female: 1.15,
    male: 0.85,
    deprivation: 0.04,
  },
  ae: {
    base: 0.3,
    needPower: 1,
    age: [1.35, 1, 0.95, 1.15, 1.9],
    female: 0.95,
    male: 1.05,
    deprivation: 0.06,
  },
  emergency_physical: {
    base: 0.075,
    needPower: 1,
    age: [0.45, 0.6, 1, 2, 4],
    female: 1,
    male: 1,
    deprivation: 0.05,
  },
  emergency_mental_health: {
    base: 0.01,
    needPower: 2,
    age: [1.5, 1.3, 0.8, 0.5, 0.4],
    female: 0.9,
    male: 1.1,
    deprivation: 0.07,
  },
  elective: {
    base: 0.11,
    needPower: 0.5,
    age: [0.4, 0.65, 1.1, 1.9, 1.7],
    female: 1,
    male: 1,
    deprivation: 0.02,
  },
  outpatient: {
    base: 1.5,
    needPower: 0.6,
    age: [0.5, 0.75, 1.1, 1.7, 1.8],
    female: 1.1,
    male: 0.9,
    deprivation: 0.02,
  },
  mh_routine: {
    base: 0.3,
    needPower: 1.8,
    age: [1.5, 1.3, 0.8, 0.5, 0.45],
    female: 1.1,
    male: 0.9,
    deprivation: 0.06,
  },
  mh_crisis: {
    base: 0.05,
    needPower: 2,
    age: [1.6, 1.3, 0.8, 0.45, 0.4],
    female: 1,
    male: 1,
    deprivation: 0.07,
  },
  nhs111: {
    base: 0.42,
    needPower: 0.8,
    age: [1.4, 1.1, 0.9, 0.9, 1.3],
    female: 1.1,
    male: 0.9,
    deprivation: 0.03,
  },
  ambulance: {
    base: 0.1,
    needPower: 1,
    age: [0.9, 0.8, 0.9, 1.6, 3.6],
    female: 1,
    male: 1,
    deprivation: 0.06,
  },
};

/** What a rate depends on, at a point in time. */
export interface RateFactors {
  age: number;
  sex: 'F' | 'M';
  imdDecile: number;
  need: number;
}

/** Age bands of the rate model: under 25, 25-44, 45-64, 65-79, 80 and over. */
export function ageBand(age: number): 0 | 1 | 2 | 3 | 4 {
  if (age < 25) return 0;
  if (age < 45) return 1;
  if (age < 65) return 2;
  if (age < 80) return 3;
  return 4;
}

/** Expected events per person-year of a channel, before any planted effect. */
export function annualRate(channel: Channel, f: RateFactors): number {
  const p = PARAMETERS[channel];
  return (
    p.base *
    p.age[ageBand(f.age)] *
    (f.sex === 'F' ? p.female : p.male) *
    (1 + p.deprivation * (5.5 - f.imdDecile)) *
    Math.pow(f.need, p.needPower)
  );
}

/** Deaths per person-year (Gompertz-like in age, a little higher with need). */
export function mortalityRate(f: RateFactors): number {
  return 0.0004 * Math.exp(0.09 * (f.age - 30)) * Math.sqrt(f.need);
}

/**
 * How strongly a person's need, deprivation, age and sex make them likely to use the Life Rooms
 * (a selection weight, so users differ from non-users as they would in reality).
 */
export function lifeRoomsPropensity(f: RateFactors): number {
  const age = [0.9, 1, 0.9, 0.5, 0.2][ageBand(f.age)];
  return (
    Math.pow(f.need, 1.3) * (1 + 0.08 * (5.5 - f.imdDecile)) * age * (f.sex === 'F' ? 1.15 : 0.87)
  );
}

/** The measures a planted effect (and its ground truth) can be named by. */
export const MEASURES = {
  crisis: {
    channels: ['mh_crisis', 'emergency_mental_health'],
    definition:
      "mental_health_contact with team 'crht' or 'liaison', plus inpatient_admission with method 'emergency' and specialty 'mental_health'",
  },
  ae: { channels: ['ae'], definition: 'ae_attendance (any department type)' },
  gp: { channels: ['gp'], definition: 'gp_appointment (any mode)' },
  emergency_admission: {
    channels: ['emergency_physical', 'emergency_mental_health'],
    definition: "inpatient_admission with method 'emergency' (any specialty)",
  },
  mental_health: {
    channels: ['mh_routine', 'mh_crisis'],
    definition: 'mental_health_contact (any team)',
  },
  nhs111: { channels: ['nhs111'], definition: 'nhs111_call' },
  ambulance: { channels: ['ambulance'], definition: 'ambulance_incident (any outcome)' },
  elective_admission: {
    channels: ['elective'],
    definition: "inpatient_admission with method 'elective'",
  },
  outpatient: { channels: ['outpatient'], definition: 'outpatient_attendance (attended or not)' },
} as const satisfies Record<string, { channels: readonly Channel[]; definition: string }>;
export type Measure = keyof typeof MEASURES;

export function isMeasure(name: string): name is Measure {
  return Object.prototype.hasOwnProperty.call(MEASURES, name);
}

/** Default planted effects: rates after the index date are multiplied by these factors. */
export const DEFAULT_EFFECTS: Readonly<Partial<Record<Measure, number>>> = { crisis: 0.7, ae: 0.8 };

/**
 * The multiplier each channel gets after a user's index date: the product of the factors of
 * every measure that includes the channel.
 */
export function channelMultipliers(
  effects: Partial<Record<Measure, number>>,
): Record<Channel, number> {
  const out = Object.fromEntries(CHANNELS.map((c) => [c, 1])) as Record<Channel, number>;
  for (const [measure, factor] of Object.entries(effects) as [Measure, number][]) {
    for (const channel of MEASURES[measure].channels) out[channel] *= factor;
  }
  return out;
}

/**
 * Which measures a cipha record counts towards (the same definitions the ground truth uses), so
 * analytics can count exactly what the generator planted.
 */
export function measuresOfRecord(record: {
  record_type: string;
  team?: string;
  method?: string;
  specialty?: string;
}): Measure[] {
  switch (record.record_type) {
    case 'gp_appointment':
      return ['gp'];
    case 'ae_attendance':
      return ['ae'];
    case 'nhs111_call':
      return ['nhs111'];
    case 'ambulance_incident':
      return ['ambulance'];
    case 'outpatient_attendance':
      return ['outpatient'];
    case 'mental_health_contact':
      return record.team === 'crht' || record.team === 'liaison'
        ? ['mental_health', 'crisis']
        : ['mental_health'];
    case 'inpatient_admission':
      if (record.method === 'elective') return ['elective_admission'];
      if (record.method !== 'emergency') return [];
      return record.specialty === 'mental_health'
        ? ['emergency_admission', 'crisis']
        : ['emergency_admission'];
    default:
      return [];
  }
}
