import { DAY_MS, YEAR_MS, isoDateTime } from './dates';
import type { DraftRecord } from './draft-record';
import { Person, residenceAt } from './population';
import { Rng, createRng } from './random';

/**
 * GP condition registers (cipha `condition` records): who is on which register, since when, and
 * whether it was resolved. Prevalence depends on age, sex, IMD decile and the hidden need level,
 * at levels near published figures. Sources (recorded prevalence, England, rounded):
 *
 * - NHS Digital, Quality and Outcomes Framework (QOF) 2022-23, register prevalence: depression
 *   13.2% (18+), diabetes 7.5% (17+), asthma 6.5% (6+), COPD 1.9%, CHD 3.0%, heart failure 1.0%,
 *   CKD 3-5 4.0% (18+), stroke/TIA 1.8%, cancer 3.5%, dementia 0.7%, SMI 1.0%, learning
 *   disability 0.5%. North West and Cheshire and Merseyside practices sit above the England
 *   average for most (Fingertips, National General Practice Profiles).
 * - Age gradients: QOF and NHS Digital's "Health Survey for England" (diabetes, CVD by age);
 *   dementia by age after Alzheimer's Society, Dementia UK 2nd ed. 2014 (65-69 1.7% ... 90+ 35%),
 *   times a diagnosis rate of about 0.65 (NHS England Recorded Dementia Diagnoses).
 * - Anxiety: Adult Psychiatric Morbidity Survey 2014 (GAD 5.9%), recorded rather less often.
 * - Alcohol dependence: Pryce et al., "Estimates of alcohol dependence in England" (PHE, 2017),
 *   1.4% of adults; drug misuse recorded in about 1% (ONS/OHID treatment statistics).
 * - Deprivation gradients: Barnett et al., Lancet 2012 (multimorbidity earlier and more common
 *   in deprived areas; mental health disorders and COPD most steeply); SMI and substance misuse
 *   prevalence roughly doubles from least to most deprived (QOF by IMD quintile).
 * - Pregnancy: about 55 conceptions per 1,000 women aged 15-44 a year (ONS Conceptions 2021).
 *
 * The hidden need level (mean-one lognormal, as in the rate model) multiplies prevalence with a
 * per-cluster elasticity, normalised so that average prevalence stays at the table's level.
 */

export interface ClusterModel {
  /** Prevalence on the register at the end of the window by age band: 16-44, 45-64, 65-74, 75-84, 85+. */
  byAge: readonly [number, number, number, number, number];
  /** Relative spread over deprivation: decile 1 gets 1 + g, decile 10 gets 1 - g. */
  imdGradient: number;
  /** Elasticity on the hidden need level. */
  needElasticity: number;
  /** Multipliers by sex. */
  sex: { F: number; M: number };
  /** Share of register entries resolved again by the end of the window. */
  resolvedShare: number;
}

const BOTH = { F: 1, M: 1 };

export const CLUSTER_MODELS: Readonly<Record<string, ClusterModel>> = {
  depression: {
    byAge: [0.13, 0.16, 0.14, 0.12, 0.12],
    imdGradient: 0.35,
    needElasticity: 1,
    sex: { F: 1.3, M: 0.7 },
    resolvedShare: 0.25,
  },
  anxiety: {
    byAge: [0.09, 0.08, 0.06, 0.05, 0.05],
    imdGradient: 0.3,
    needElasticity: 0.8,
    sex: { F: 1.3, M: 0.7 },
    resolvedShare: 0.3,
  },
  serious_mental_illness: {
    byAge: [0.009, 0.013, 0.011, 0.009, 0.008],
    imdGradient: 0.6,
    needElasticity: 1.2,
    sex: BOTH,
    resolvedShare: 0,
  },
  dementia: {
    byAge: [0, 0.002, 0.02, 0.07, 0.2],
    imdGradient: 0.1,
    needElasticity: 0.3,
    sex: { F: 1.1, M: 0.9 },
    resolvedShare: 0,
  },
  learning_disability: {
    byAge: [0.007, 0.005, 0.003, 0.002, 0.001],
    imdGradient: 0.2,
    needElasticity: 0.2,
    sex: { F: 0.8, M: 1.2 },
    resolvedShare: 0,
  },
  physical_disability: {
    byAge: [0.01, 0.03, 0.05, 0.08, 0.12],
    imdGradient: 0.3,
    needElasticity: 0.6,
    sex: BOTH,
    resolvedShare: 0,
  },
  diabetes: {
    byAge: [0.02, 0.09, 0.15, 0.17, 0.15],
    imdGradient: 0.35,
    needElasticity: 0.5,
    sex: { F: 0.8, M: 1.2 },
    resolvedShare: 0,
  },
  copd: {
    byAge: [0.002, 0.02, 0.05, 0.07, 0.07],
    imdGradient: 0.6,
    needElasticity: 0.6,
    sex: BOTH,
    resolvedShare: 0,
  },
  asthma: {
    byAge: [0.07, 0.065, 0.065, 0.06, 0.05],
    imdGradient: 0.15,
    needElasticity: 0.3,
    sex: { F: 1.1, M: 0.9 },
    resolvedShare: 0.05,
  },
  coronary_heart_disease: {
    byAge: [0.002, 0.03, 0.08, 0.13, 0.17],
    imdGradient: 0.3,
    needElasticity: 0.5,
    sex: { F: 0.6, M: 1.4 },
    resolvedShare: 0,
  },
  heart_failure: {
    byAge: [0.0005, 0.004, 0.015, 0.04, 0.08],
    imdGradient: 0.2,
    needElasticity: 0.5,
    sex: { F: 0.8, M: 1.2 },
    resolvedShare: 0,
  },
  chronic_kidney_disease: {
    byAge: [0.001, 0.02, 0.07, 0.15, 0.25],
    imdGradient: 0.15,
    needElasticity: 0.4,
    sex: { F: 1.1, M: 0.9 },
    resolvedShare: 0,
  },
  stroke: {
    byAge: [0.002, 0.012, 0.035, 0.065, 0.09],
    imdGradient: 0.2,
    needElasticity: 0.4,
    sex: BOTH,
    resolvedShare: 0,
  },
  cancer: {
    byAge: [0.005, 0.03, 0.07, 0.1, 0.11],
    imdGradient: -0.05,
    needElasticity: 0.2,
    sex: BOTH,
    resolvedShare: 0.1,
  },
  metastatic_cancer: {
    byAge: [0.0003, 0.0015, 0.004, 0.006, 0.006],
    imdGradient: 0.1,
    needElasticity: 0.2,
    sex: BOTH,
    resolvedShare: 0,
  },
  substance_misuse: {
    byAge: [0.015, 0.008, 0.002, 0.0005, 0.0002],
    imdGradient: 0.8,
    needElasticity: 1.2,
    sex: { F: 0.4, M: 1.6 },
    resolvedShare: 0.2,
  },
  alcohol_dependence: {
    byAge: [0.01, 0.015, 0.01, 0.004, 0.002],
    imdGradient: 0.6,
    needElasticity: 1,
    sex: { F: 0.5, M: 1.5 },
    resolvedShare: 0.15,
  },
};

/** Conceptions per woman-year aged 16-44 (ONS Conceptions in England and Wales 2021: ~55/1,000). */
export const PREGNANCY_RATE = 0.055;
const PREGNANCY_DAYS = 266;
/** Share of a register's end prevalence first recorded inside the window (the rest before it). */
const INCIDENT_SHARE = 0.3;
/** Sigma of the hidden need level (mean-one lognormal), as in `population.ts`. */
const NEED_SIGMA = 0.75;

function ageBandIndex(age: number): 0 | 1 | 2 | 3 | 4 {
  if (age < 45) return 0;
  if (age < 65) return 1;
  if (age < 75) return 2;
  if (age < 85) return 3;
  return 4;
}

/** Probability of being on a cluster's register at the end of the window. */
export function registerProbability(
  model: ClusterModel,
  f: { age: number; sex: 'F' | 'M'; imdDecile: number; need: number },
): number {
  const imd = 1 + model.imdGradient * ((5.5 - f.imdDecile) / 4.5);
  // E[need^e] for a mean-one lognormal: exp(e(e-1) sigma^2 / 2); dividing keeps the average.
  const e = model.needElasticity;
  const need = f.need ** e / Math.exp((e * (e - 1) * NEED_SIGMA * NEED_SIGMA) / 2);
  return Math.min(0.95, model.byAge[ageBandIndex(f.age)] * model.sex[f.sex] * imd * need);
}

export interface ConditionContext {
  seed: string;
  startMs: number;
  endMs: number;
}

/**
 * The condition register records of one person, from their own random stream (so adding them
 * shifts no other draw of the person). Nothing is recorded after death; a resolution after the
 * end of the window (or after death) is left off, as the extract would not have it yet.
 */
export function conditionRecords(
  person: Person,
  ctx: ConditionContext,
  deathMs: number | undefined,
): DraftRecord[] {
  const rng = createRng(ctx.seed, 'conditions', person.index);
  const stop = Math.min(ctx.endMs, deathMs ?? Infinity);
  const ageAtEnd = (ctx.endMs - person.birthMs) / YEAR_MS;
  const imdDecile = residenceAt(person, ctx.endMs).home.modelDecile;
  const out: DraftRecord[] = [];
  const record = (cluster: string, at: number, resolvedMs: number | undefined) => {
    if (at >= stop) return;
    const fields: DraftRecord['fields'] = { cluster };
    if (resolvedMs !== undefined && resolvedMs < stop) fields.resolved_at = isoDateTime(resolvedMs);
    out.push({
      source: 'cipha',
      recordType: 'condition',
      occurredMs: at,
      nhsNumber: person.nhsNumber,
      fields,
    });
  };
  for (const [cluster, model] of Object.entries(CLUSTER_MODELS)) {
    const p = registerProbability(model, {
      age: ageAtEnd,
      sex: person.sex,
      imdDecile,
      need: person.need,
    });
    const onRegister = rng() < p;
    const incident = rng() < INCIDENT_SHARE;
    const when = rng();
    const resolves = rng() < model.resolvedShare;
    const resolveDraw = rng();
    if (!onRegister) continue;
    // Recorded inside the window, or earlier: up to 15 years back but not before age 16.
    const adultFrom = person.birthMs + 16 * YEAR_MS;
    const from = incident ? ctx.startMs : Math.max(adultFrom, ctx.startMs - 15 * YEAR_MS);
    const to = incident ? ctx.endMs : ctx.startMs;
    if (to <= from) continue;
    const at = daytime(from + Math.floor(when * (to - from)), rng);
    const resolvedMs = resolves
      ? at + 90 * DAY_MS + Math.floor(resolveDraw * 3 * YEAR_MS)
      : undefined;
    record(cluster, at, resolvedMs);
  }
  // Pregnancies: women aged 16-44, a chance each year of the window, resolved ~38 weeks later.
  if (person.sex === 'F') {
    for (let y = ctx.startMs; y < ctx.endMs; y += YEAR_MS) {
      const draw = rng();
      const at = y + Math.floor(rng() * YEAR_MS);
      const age = (at - person.birthMs) / YEAR_MS;
      if (age < 16 || age >= 45 || draw >= PREGNANCY_RATE || at >= ctx.endMs) continue;
      record('pregnancy', daytime(at, rng), at + PREGNANCY_DAYS * DAY_MS);
    }
  }
  return out;
}

function daytime(ms: number, rng: Rng): number {
  return (
    Math.floor(ms / DAY_MS) * DAY_MS +
    (8 + Math.floor(rng() * 10)) * 3_600_000 +
    Math.floor(rng() * 60) * 60_000
  );
}
