import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventIdFor } from '@linkage/contracts';
import type { Sql } from '@linkage/database';
import {
  PRIOR_MODEL,
  compareEncodings,
  estimateModel,
  uFromRandomPairs,
  exactKeyLinker,
  fellegiSunterLinker,
  quality,
  qualityBy,
  type FellegiSunterModel,
  type Linker,
  type QualityCounts,
  type QualityRecord,
} from '@linkage/domain';
import { ensureLinkageSchema } from './linkage-schema';
import { decodeEncoding, loadModel } from './plan-fuzzy-links';

/** Match-weight thresholds the report evaluates (the live one is added). */
export const QUALITY_THRESHOLDS = [0, 2, 4, 6, 8, 10, 12, 14, 16];

export interface LinkerQuality {
  linker: string;
  threshold: number | null;
  overall: QualityCounts;
  byErrorKind: Record<string, QualityCounts>;
  byRecordType: Record<string, QualityCounts>;
}

/**
 * Linkage quality of the records without a usable NHS number against the truth the generator
 * wrote (`dirt-ledger.jsonl`: each such record and `same_person_as`). Counts of records, never
 * of people, so no disclosure control is needed.
 */
export interface LinkageQualityReport {
  records: number;
  /** Records with at least one candidate pair (blocking recall: the ceiling of any linker). */
  withCandidates: number;
  /** Records whose true person is among their candidates. */
  trueCandidateFound: number;
  candidatePairs: number;
  liveThresholds: { match: number; review: number };
  /**
   * The model the event writer used, the one EM estimates from all candidate pairs now, and EM
   * of m and lambda only with u taken from random pairs (`randomPairs` of them).
   */
  models: {
    live: FellegiSunterModel;
    estimated: FellegiSunterModel;
    estimatedFixedU: FellegiSunterModel;
  };
  randomPairs: number;
  results: LinkerQuality[];
}

interface LedgerEntry {
  source: string;
  kind: string;
  record_id: string;
  case?: string;
  record_type?: string;
  same_person_as?: string;
}

/** The generator's truth for one population directory (its dirt ledger). */
export function readLinkageTruth(populationDir: string): LedgerEntry[] {
  const file = path.join(populationDir, 'dirt-ledger.jsonl');
  if (!fs.existsSync(file)) throw new Error(`no dirt-ledger.jsonl in the population directory`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LedgerEntry)
    .filter((e) => e.source === 'liferooms' && e.kind === 'no_nhs_number' && e.same_person_as);
}

export async function linkageQualityReport(
  sql: Sql,
  populationDir: string,
): Promise<LinkageQualityReport> {
  await ensureLinkageSchema(sql);
  const truth = readLinkageTruth(populationDir);
  const eventIds = truth.map((t) => eventIdFor('liferooms', t.record_id));
  const truthIds = truth.map((t) => eventIdFor('liferooms', String(t.same_person_as)));
  const persons = new Map<string, string>();
  for (const r of await sql<{ event_id: string; stream_id: string }[]>`
      select event_id::text as event_id, stream_id from ingest.linkage_index
      where event_id = any(${truthIds}::uuid[]) and stream_id like 'person-%'`) {
    persons.set(r.event_id, r.stream_id.slice('person-'.length));
  }
  const pairs = new Map<string, { personId: string; levels: number[] }[]>();
  let candidatePairs = 0;
  for (const r of await sql<{ event_id: string; person_id: string; levels: number[] }[]>`
      select event_id::text as event_id, person_id, levels from linkage.candidate_pairs
      where event_id = any(${eventIds}::uuid[])`) {
    candidatePairs++;
    const list = pairs.get(r.event_id) ?? [];
    list.push({ personId: r.person_id, levels: r.levels.map(Number) });
    pairs.set(r.event_id, list);
  }
  const live = new Map<string, string | null>();
  for (const r of await sql<{ event_id: string; person_id: string | null }[]>`
      select event_id::text as event_id, case when status = 'linked' then person_id end as person_id
      from linkage.record_links where event_id = any(${eventIds}::uuid[])`) {
    live.set(r.event_id, r.person_id);
  }
  const records: QualityRecord[] = truth.map((t, i) => ({
    eventId: eventIds[i],
    truePersonId: persons.get(truthIds[i]) ?? null,
    recordType: t.record_type ?? 'unknown',
    errorKind: t.case ?? 'exact',
    candidates: pairs.get(eventIds[i]) ?? [],
  }));

  const { model, thresholds } = await loadModel(sql);
  // EM over every comparison vector the linker has made (not only these records').
  const vectors = (
    await sql<{ levels: number[] }[]>`select levels from linkage.candidate_pairs`
  ).map((r) => r.levels.map(Number));
  const estimated = estimateModel(vectors, PRIOR_MODEL);
  const random = await randomPairVectors(sql);
  const estimatedFixedU = estimateModel(
    vectors,
    { ...PRIOR_MODEL, u: uFromRandomPairs(random, PRIOR_MODEL) },
    { fixedU: true },
  );

  const evaluate = (name: string, threshold: number | null, linker: Linker): LinkerQuality => ({
    linker: name,
    threshold,
    overall: quality(records, linker),
    byErrorKind: qualityBy(records, linker, (r) => r.errorKind),
    byRecordType: qualityBy(records, linker, (r) => r.recordType),
  });
  const results: LinkerQuality[] = [
    evaluate(
      'baseline: deterministic keyed hash (exact names, date of birth, postcode)',
      null,
      exactKeyLinker,
    ),
    evaluate(
      'live: the event writer\u2019s decisions',
      thresholds.match,
      (r) => live.get(r.eventId) ?? null,
    ),
  ];
  const levels = [...new Set([...QUALITY_THRESHOLDS, thresholds.match, thresholds.review])].sort(
    (a, b) => a - b,
  );
  for (const t of levels)
    results.push(evaluate('Fellegi-Sunter, prior weights', t, fellegiSunterLinker(model, t)));
  for (const t of levels)
    results.push(
      evaluate('Fellegi-Sunter, EM-estimated weights', t, fellegiSunterLinker(estimated, t)),
    );
  for (const t of levels)
    results.push(
      evaluate(
        'Fellegi-Sunter, EM m with u from random pairs',
        t,
        fellegiSunterLinker(estimatedFixedU, t),
      ),
    );
  return {
    records: records.length,
    withCandidates: records.filter((r) => r.candidates.length > 0).length,
    trueCandidateFound: records.filter((r) =>
      r.candidates.some((c) => c.personId === r.truePersonId),
    ).length,
    candidatePairs,
    liveThresholds: thresholds,
    models: { live: model, estimated, estimatedFixedU },
    randomPairs: random.length,
    results,
  };
}

const RANDOM_SIDE = 3000;

/**
 * Comparison vectors of random pairs: up to 3,000 records without an NHS number and 3,000
 * person encodings, each record paired with persons at a fixed stride (deterministic, no random
 * source), 3 pairs per record. Such pairs are non-matches with overwhelming probability.
 */
async function randomPairVectors(sql: Sql): Promise<number[][]> {
  type Row = Parameters<typeof decodeEncoding>[0];
  const records = await sql<Row[]>`
    select given_name, family_name, date_of_birth, postcode, sex from linkage.record_encodings
    order by md5(event_id::text) limit ${RANDOM_SIDE}`;
  const persons = await sql<Row[]>`
    select given_name, family_name, date_of_birth, postcode, sex from linkage.person_encodings
    order by md5(person_id || enc_hash) limit ${RANDOM_SIDE}`;
  if (records.length === 0 || persons.length === 0) return [];
  const people = persons.map((p) => decodeEncoding(p));
  const out: number[][] = [];
  records.forEach((r, i) => {
    const enc = decodeEncoding(r);
    for (let k = 1; k <= 3; k++) {
      const p = people[(i * 7919 + k * 104_729) % people.length];
      out.push(compareEncodings(enc, p).levels);
    }
  });
  return out;
}

/** Stores a model (and thresholds) for the event writer's later decisions. */
export async function storeLinkageModel(
  sql: Sql,
  model: FellegiSunterModel,
  thresholds: { match: number; review: number },
): Promise<void> {
  await ensureLinkageSchema(sql);
  await sql`
    insert into linkage.model (id, model, thresholds) values (1, ${sql.json(model as never)}, ${sql.json(thresholds)})
    on conflict (id) do update set model = excluded.model, thresholds = excluded.thresholds,
      estimated_at = now()`;
}

/**
 * EM of m and lambda over every candidate pair the linker has compared, with u taken from random
 * pairs (EM on blocked pairs alone over-estimates u: they are mostly matches). The model to store
 * with `storeLinkageModel`; the live linker uses the priors until one is stored.
 */
export async function estimateLinkageModel(sql: Sql): Promise<FellegiSunterModel> {
  await ensureLinkageSchema(sql);
  const vectors = (
    await sql<{ levels: number[] }[]>`select levels from linkage.candidate_pairs`
  ).map((r) => r.levels.map(Number));
  const u = uFromRandomPairs(await randomPairVectors(sql), PRIOR_MODEL);
  return estimateModel(vectors, { ...PRIOR_MODEL, u }, { fixedU: true });
}
