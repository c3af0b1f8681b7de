import {
  ENCODED_FIELDS,
  levelWeights,
  matchWeight,
  type FellegiSunterModel,
} from './fellegi-sunter';

/**
 * Linkage quality against the truth (the generator knows whose each record is): precision,
 * recall and F1 of the links made for records without an NHS number. A link to the wrong person
 * counts against both precision and recall; no link counts against recall.
 */

/** One record to be linked, its true person and its scored candidate pairs. */
export interface QualityRecord {
  eventId: string;
  truePersonId: string | null;
  recordType: string;
  /** How the record differs from the person's other records (typo, moved house, ...). */
  errorKind: string;
  candidates: { personId: string; levels: readonly number[] }[];
}

export interface QualityCounts {
  records: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** Who a linker attributes a record to (null: no link). */
export type Linker = (record: QualityRecord) => string | null;

/** The current deterministic link key: every encoded field identical (the keyed hash's test). */
export const exactKeyLinker: Linker = (record) => {
  const exact = ENCODED_FIELDS.map((_, i) => i);
  const hits = record.candidates
    .filter((c) => exact.every((i) => c.levels[i] === 1))
    .map((c) => c.personId)
    .sort();
  return hits[0] ?? null;
};

/** Fellegi-Sunter: the best-weighted candidate when its weight reaches the threshold. */
export function fellegiSunterLinker(model: FellegiSunterModel, threshold: number): Linker {
  const weights = levelWeights(model);
  return (record) => {
    let best: { personId: string; weight: number } | undefined;
    for (const c of record.candidates) {
      const weight = matchWeight(c.levels, weights);
      if (!best || weight > best.weight || (weight === best.weight && c.personId < best.personId))
        best = { personId: c.personId, weight };
    }
    return best && best.weight >= threshold ? best.personId : null;
  };
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

export function quality(records: readonly QualityRecord[], linker: Linker): QualityCounts {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const r of records) {
    const predicted = linker(r);
    if (predicted !== null && predicted === r.truePersonId) tp++;
    else {
      if (predicted !== null) fp++;
      if (r.truePersonId !== null) fn++;
    }
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const f1 =
    precision === null || recall === null || precision + recall === 0
      ? null
      : (2 * precision * recall) / (precision + recall);
  return {
    records: records.length,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision,
    recall,
    f1,
  };
}

/** Quality overall and grouped by a key (record type, error kind). */
export function qualityBy(
  records: readonly QualityRecord[],
  linker: Linker,
  key: (r: QualityRecord) => string,
): Record<string, QualityCounts> {
  const groups = new Map<string, QualityRecord[]>();
  for (const r of records) {
    const k = key(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  const out: Record<string, QualityCounts> = {};
  for (const k of [...groups.keys()].sort()) out[k] = quality(groups.get(k)!, linker);
  return out;
}
