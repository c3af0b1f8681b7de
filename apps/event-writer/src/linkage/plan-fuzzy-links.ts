import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import { deterministicUuid } from '@linkage/contracts';
import {
  DEFAULT_THRESHOLDS,
  PRIOR_MODEL,
  UNDECIDED,
  compareEncodings,
  decideRecordLink,
  levelWeights,
  linkChangeEvents,
  matchWeight,
  type FellegiSunterModel,
  type LinkChange,
  type LinkDecisionEvent,
  type LinkThresholds,
  type LinkageEncoding,
  type RecordLinkState,
  type ScoredCandidate,
} from '@linkage/domain';

type Tx = postgres.TransactionSql<Record<string, never>>;

/** The encodings as they travel on a canonical event (`data.linkageEncoding`). */
export interface EncodingWire {
  v: 1;
  givenName?: string;
  familyName?: string;
  dateOfBirth?: string;
  postcode?: string;
  blocks: string[];
}

/** A Life Rooms event with encodings (the event writer took them off the event). */
export interface EncodedEvent {
  eventId: string;
  personId: string | null;
  recordType: string;
  sex: string | null;
  wire: EncodingWire;
}

export interface FuzzyPlan {
  /** Records without an NHS number and the stream each goes to. */
  streams: Map<string, string>;
  /** How each such record stands after this batch (for the linkage index). */
  linkedAtArrival: Map<string, string>;
  /** Decision events to append (person streams). */
  decisions: LinkDecisionEvent[];
  /** Records linked or unlinked later (their linkage-index rows change). */
  relinked: Map<string, string | null>;
  write(tx: Tx): Promise<void>;
}

interface EncodingRow {
  given_name: string | null;
  family_name: string | null;
  date_of_birth: string | null;
  postcode: string | null;
  sex: string | null;
}

const fromHex = (s: string | null | undefined) => (s ? Buffer.from(s, 'hex') : undefined);

export function decodeEncoding(row: EncodingRow): LinkageEncoding {
  return {
    fields: {
      givenName: fromHex(row.given_name),
      familyName: fromHex(row.family_name),
      dateOfBirth: fromHex(row.date_of_birth),
      postcode: fromHex(row.postcode),
    },
    sex: row.sex,
  };
}

function rowOf(e: EncodedEvent): EncodingRow {
  return {
    given_name: e.wire.givenName ?? null,
    family_name: e.wire.familyName ?? null,
    date_of_birth: e.wire.dateOfBirth ?? null,
    postcode: e.wire.postcode ?? null,
    sex: e.sex,
  };
}

function encodingHash(row: EncodingRow): string {
  return createHash('sha256')
    .update([row.given_name, row.family_name, row.date_of_birth, row.postcode, row.sex].join('|'))
    .digest('hex')
    .slice(0, 32);
}

/** The model and thresholds in use: the estimated ones when there are, else the priors. */
export async function loadModel(
  tx: Tx | postgres.Sql,
): Promise<{ model: FellegiSunterModel; thresholds: LinkThresholds }> {
  const [row] = await tx<{ model: FellegiSunterModel; thresholds: LinkThresholds }[]>`
    select model, thresholds from linkage.model where id = 1`;
  return row ?? { model: PRIOR_MODEL, thresholds: DEFAULT_THRESHOLDS };
}

interface PairRow {
  event_id: string;
  person_id: string;
  levels: number[];
  similarities: Record<string, number | null>;
  weight: number;
}

/**
 * Decides the links of one batch's encoded Life Rooms records, incrementally: a record without an
 * NHS number is compared with the people in its blocks (and linked at arrival when one is good
 * enough); a person's new encoding is compared with the waiting records in its blocks (and
 * links them, or moves a link when it is better). The result does not depend on arrival order:
 * a record ends on its best candidate above the threshold, whichever came first.
 */
export async function planFuzzyLinks(
  tx: Tx,
  encoded: readonly EncodedEvent[],
  decidedAt: Date,
): Promise<FuzzyPlan> {
  const plan: FuzzyPlan = {
    streams: new Map(),
    linkedAtArrival: new Map(),
    decisions: [],
    relinked: new Map(),
    write: async () => {},
  };
  if (encoded.length === 0) return plan;
  const { model, thresholds } = await loadModel(tx);
  const weights = levelWeights(model);
  const idFor = (parts: string[]) => deterministicUuid(parts.join('\u001f'));

  // 1. New encodings of people (distinct per person).
  const personEncodings = new Map<
    string,
    { personId: string; hash: string; row: EncodingRow; blocks: string[] }
  >();
  for (const e of encoded) {
    if (!e.personId) continue;
    const row = rowOf(e);
    const hash = encodingHash(row);
    personEncodings.set(`${e.personId}|${hash}`, {
      personId: e.personId,
      hash,
      row,
      blocks: e.wire.blocks,
    });
  }
  const newPersonEncodings: typeof personEncodings extends Map<string, infer V> ? V[] : never = [];
  if (personEncodings.size > 0) {
    const list = [...personEncodings.values()];
    const inserted = await tx<{ person_id: string; enc_hash: string }[]>`
      insert into linkage.person_encodings
        (person_id, enc_hash, given_name, family_name, date_of_birth, postcode, sex)
      select * from jsonb_to_recordset(${JSON.stringify(
        list.map((p) => ({ person_id: p.personId, enc_hash: p.hash, ...p.row })),
      )}::text::jsonb) as x(person_id text, enc_hash text, given_name text, family_name text,
        date_of_birth text, postcode text, sex text)
      on conflict do nothing
      returning person_id, enc_hash`;
    const fresh = new Set(inserted.map((r) => `${r.person_id}|${r.enc_hash}`));
    for (const p of list) if (fresh.has(`${p.personId}|${p.hash}`)) newPersonEncodings.push(p);
    const blocks = newPersonEncodings.flatMap((p) =>
      p.blocks.map((block) => ({ block, person_id: p.personId, enc_hash: p.hash })),
    );
    if (blocks.length > 0) {
      await tx`
        insert into linkage.person_blocks (block, person_id, enc_hash)
        select * from jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb)
          as x(block text, person_id text, enc_hash text)
        on conflict do nothing`;
    }
  }

  // 2. Records without an NHS number: the ones seen before keep their stream (redelivery).
  const walkIns = encoded.filter((e) => !e.personId);
  const seen = new Map<string, string>();
  if (walkIns.length > 0) {
    for (const r of await tx<{ event_id: string; stream_id: string }[]>`
        select l.event_id::text as event_id, i.stream_id
        from linkage.record_links l join ingest.linkage_index i using (event_id)
        where l.event_id = any(${walkIns.map((w) => w.eventId)}::uuid[])`) {
      seen.set(r.event_id, r.stream_id);
    }
  }
  const fresh = walkIns.filter((w) => !seen.has(w.eventId));
  for (const [eventId, stream] of seen) plan.streams.set(eventId, stream);
  const states = new Map<string, { recordType: string; state: RecordLinkState }>();
  const pairs = new Map<string, PairRow>();
  const changes: LinkChange[] = [];

  if (fresh.length > 0) {
    await tx`
      insert into linkage.record_encodings
        (event_id, record_type, given_name, family_name, date_of_birth, postcode, sex)
      select * from jsonb_to_recordset(${JSON.stringify(
        fresh.map((w) => ({ event_id: w.eventId, record_type: w.recordType, ...rowOf(w) })),
      )}::text::jsonb) as x(event_id uuid, record_type text, given_name text, family_name text,
        date_of_birth text, postcode text, sex text)
      on conflict do nothing`;
    const blocks = fresh.flatMap((w) =>
      w.wire.blocks.map((block) => ({ block, event_id: w.eventId })),
    );
    if (blocks.length > 0) {
      await tx`
        insert into linkage.record_blocks (block, event_id)
        select * from jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb) as x(block text, event_id uuid)
        on conflict do nothing`;
    }
    // 3. Each new record against the people in its blocks (this batch's included).
    const candidates = await tx<(EncodingRow & { event_id: string; person_id: string })[]>`
      select distinct q.event_id::text as event_id, pe.person_id, pe.given_name, pe.family_name,
        pe.date_of_birth, pe.postcode, pe.sex
      from jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb) as q(block text, event_id uuid)
      join linkage.person_blocks pb on pb.block = q.block
      join linkage.person_encodings pe on pe.person_id = pb.person_id and pe.enc_hash = pb.enc_hash`;
    const byRecord = new Map<string, ScoredCandidate[]>();
    const encodingOf = new Map(fresh.map((w) => [w.eventId, decodeEncoding(rowOf(w))]));
    for (const c of candidates) {
      const own = encodingOf.get(c.event_id);
      if (!own) continue;
      const comparison = compareEncodings(own, decodeEncoding(c));
      const weight = matchWeight(comparison.levels, weights);
      const key = `${c.event_id}|${c.person_id}`;
      const before = pairs.get(key);
      if (!before || weight > before.weight) {
        pairs.set(key, {
          event_id: c.event_id,
          person_id: c.person_id,
          levels: comparison.levels,
          similarities: comparison.similarities,
          weight,
        });
      }
    }
    for (const p of pairs.values()) {
      const list = byRecord.get(p.event_id) ?? [];
      list.push({
        personId: p.person_id,
        weight: p.weight,
        similarities: p.similarities as ScoredCandidate['similarities'],
      });
      byRecord.set(p.event_id, list);
    }
    for (const w of fresh) {
      const change = decideRecordLink(
        w.eventId,
        UNDECIDED,
        byRecord.get(w.eventId) ?? [],
        thresholds,
      );
      const state = change?.next ?? UNDECIDED;
      states.set(w.eventId, { recordType: w.recordType, state });
      if (change?.link) {
        plan.linkedAtArrival.set(w.eventId, change.link.personId);
        plan.streams.set(w.eventId, `person-${change.link.personId}`);
        changes.push(change);
      } else {
        plan.streams.set(w.eventId, `unlinked-record-${w.eventId}`);
      }
    }
  }

  // 4. People's new encodings against records seen in earlier batches.
  if (newPersonEncodings.length > 0) {
    const blocks = newPersonEncodings.flatMap((p) =>
      p.blocks.map((block) => ({ block, person_id: p.personId, enc_hash: p.hash })),
    );
    const rows = await tx<
      (EncodingRow & {
        event_id: string;
        person_id: string;
        enc_hash: string;
        record_type: string;
        status: RecordLinkState['status'];
        linked_person: string | null;
        weight: number | null;
        method: RecordLinkState['method'];
        version: number;
        clerical: boolean;
      })[]
    >`
      select distinct q.person_id, q.enc_hash, re.event_id::text as event_id, re.record_type,
        re.given_name, re.family_name, re.date_of_birth, re.postcode, re.sex,
        rl.status, rl.person_id as linked_person, rl.weight, rl.method, rl.version, rl.clerical
      from jsonb_to_recordset(${JSON.stringify(blocks)}::text::jsonb)
        as q(block text, person_id text, enc_hash text)
      join linkage.record_blocks rb on rb.block = q.block
      join linkage.record_encodings re on re.event_id = rb.event_id
      join linkage.record_links rl on rl.event_id = rb.event_id`;
    const personEnc = new Map(
      newPersonEncodings.map((p) => [`${p.personId}|${p.hash}`, decodeEncoding(p.row)]),
    );
    const byRecord = new Map<
      string,
      { recordType: string; state: RecordLinkState; candidates: Map<string, ScoredCandidate> }
    >();
    for (const r of rows) {
      const enc = personEnc.get(`${r.person_id}|${r.enc_hash}`);
      if (!enc) continue;
      const comparison = compareEncodings(decodeEncoding(r), enc);
      const weight = matchWeight(comparison.levels, weights);
      const key = `${r.event_id}|${r.person_id}`;
      const before = pairs.get(key);
      if (!before || weight > before.weight) {
        pairs.set(key, {
          event_id: r.event_id,
          person_id: r.person_id,
          levels: comparison.levels,
          similarities: comparison.similarities,
          weight,
        });
      }
      const entry = byRecord.get(r.event_id) ?? {
        recordType: r.record_type,
        state: {
          status: r.status,
          personId: r.linked_person,
          weight: r.weight,
          method: r.method,
          version: r.version,
          clerical: r.clerical,
        },
        candidates: new Map<string, ScoredCandidate>(),
      };
      const c = entry.candidates.get(r.person_id);
      if (!c || weight > c.weight)
        entry.candidates.set(r.person_id, {
          personId: r.person_id,
          weight,
          similarities: comparison.similarities,
        });
      byRecord.set(r.event_id, entry);
    }
    for (const [eventId, entry] of byRecord) {
      const change = decideRecordLink(
        eventId,
        entry.state,
        [...entry.candidates.values()],
        thresholds,
      );
      if (!change) continue;
      states.set(eventId, { recordType: entry.recordType, state: change.next });
      if (change.link || change.unlink) {
        changes.push(change);
        plan.relinked.set(eventId, change.link?.personId ?? null);
      }
    }
  }

  for (const change of changes) plan.decisions.push(...linkChangeEvents(change, idFor, decidedAt));

  plan.write = async (t: Tx) => {
    if (states.size > 0) {
      const rows = [...states].map(([eventId, { recordType, state }]) => ({
        event_id: eventId,
        record_type: recordType,
        status: state.status,
        person_id: state.personId,
        weight: state.weight,
        method: state.method,
        version: state.version,
        clerical: state.clerical ?? false,
      }));
      await t`
        insert into linkage.record_links
          (event_id, record_type, status, person_id, weight, method, version, clerical)
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as x(
          event_id uuid, record_type text, status text, person_id text, weight double precision,
          method text, version int, clerical boolean)
        on conflict (event_id) do update set status = excluded.status,
          person_id = excluded.person_id, weight = excluded.weight, method = excluded.method,
          version = excluded.version, clerical = excluded.clerical, updated_at = now()`;
    }
    if (pairs.size > 0) {
      await t`
        insert into linkage.candidate_pairs (event_id, person_id, levels, similarities, weight)
        select event_id, person_id, array(select jsonb_array_elements_text(levels)::smallint),
          similarities, weight
        from jsonb_to_recordset(${JSON.stringify([...pairs.values()])}::text::jsonb) as x(
          event_id uuid, person_id text, levels jsonb, similarities jsonb, weight double precision)
        on conflict (event_id, person_id) do update set levels = excluded.levels,
          similarities = excluded.similarities, weight = excluded.weight
        where linkage.candidate_pairs.weight < excluded.weight`;
    }
  };
  return plan;
}
