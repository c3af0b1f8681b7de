import { eventIdFor, eventTypeFor } from '@linkage/contracts';
import {
  evaluatePerson,
  personFactsFromEvents,
  segmentKeysOf,
  type ProjectedEvent,
  type Ruleset,
} from '@linkage/domain';
import { tryNormalisePostcode } from '@linkage/pseudonymisation';
import { loadPostcodeLookup, type PostcodeLookup } from '@linkage/reference';
import { isoDateTime } from './dates';
import type { DraftRecord } from './draft-record';
import type { WriteOutcome } from './extract-writer';

/** A record as written, with what ingest will make of it. */
export interface WrittenRecord {
  draft: DraftRecord;
  recordId: string;
  outcome: WriteOutcome;
}

/** True segment sizes of one ruleset, as of the manifest's date. */
export interface TrueSegmentSizes {
  version: string;
  sizes: Record<string, number>;
}

const camelCache = new Map<string, string>();
/** `discharged_at` -> `dischargedAt` (a record type's few field names, so cached). */
function camel(s: string): string {
  let out = camelCache.get(s);
  if (out === undefined) {
    out = s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelCache.set(s, out);
  }
  return out;
}

/** What the edge derives from a postcode: its sector and district, and the reference data. */
interface PostcodeData {
  postcodeSector: string;
  postcodeDistrict: string;
  lsoa: string | null;
  imdDecile: number | null;
  localAuthority: string | null;
}

/**
 * A projected event whose id (a SHA-256 of source and record id) is computed only when a
 * projection reads it: profiles read it to break ties, activity never does, and hashing every
 * one of 1.3 million records was a tenth of the generator's time.
 */
class TruthEvent implements ProjectedEvent {
  private id: string | undefined;
  constructor(
    private readonly source: DraftRecord['source'],
    private readonly recordId: string,
    readonly type: string,
    readonly data: Record<string, unknown>,
  ) {}

  get eventId(): string {
    return (this.id ??= eventIdFor(this.source, this.recordId));
  }
}

/** `new Date(text).toISOString()` for the generator's own `YYYY-MM-DDTHH:MM:SSZ`, without parsing. */
function isoMillis(text: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)
    ? `${text.slice(0, 19)}.000Z`
    : new Date(text).toISOString();
}

/**
 * The ground truth of segment sizes: each person's records that ingest will accept, turned into
 * events and folded through the same projections and rules the service runs. What the service
 * adds (validation, pseudonymisation, the event store, the read models in PostgreSQL, the run
 * job) is what a run over the extracts tests against this.
 *
 * Every accepted Life Rooms record counts for its person, with or without an NHS number: the
 * truth assumes perfect linkage. A run recovers it exactly when every Life Rooms record reached
 * its person in the read models; each record left unlinked can move its one person only.
 */
export class SegmentTruth {
  private readonly counts = new Map<string, Record<string, number>>();
  private readonly postcodes: PostcodeLookup = loadPostcodeLookup();
  private readonly byPostcode = new Map<string, PostcodeData | undefined>();

  constructor(
    private readonly rulesets: readonly Ruleset[],
    private readonly asOf: string,
  ) {
    for (const r of rulesets)
      this.counts.set(r.id, Object.fromEntries(segmentKeysOf(r).map((s) => [s.key, 0])));
  }

  /** Adds one person from the records written for them (every source). */
  addPerson(written: readonly WrittenRecord[]): void {
    const accepted = written.filter((w) => w.outcome !== 'rejected');
    const events: ProjectedEvent[] = [];
    const lifeRooms: ProjectedEvent[] = [];
    for (const w of accepted) {
      const withNhs = w.outcome === 'valid';
      const event = this.toEvent(w, withNhs);
      if (!event) continue;
      if (withNhs) events.push(event);
      if (w.draft.source === 'liferooms') lifeRooms.push(event);
    }
    const facts = personFactsFromEvents(events, lifeRooms);
    if (!facts) return;
    for (const ruleset of this.rulesets) {
      const counts = this.counts.get(ruleset.id)!;
      for (const p of evaluatePerson(ruleset, facts, this.asOf).placements) counts[p.segment]++;
    }
  }

  result(): Record<string, TrueSegmentSizes> {
    return Object.fromEntries(
      this.rulesets.map((r) => [r.id, { version: r.version, sizes: this.counts.get(r.id)! }]),
    );
  }

  private toEvent(w: WrittenRecord, withNhs: boolean): ProjectedEvent | undefined {
    const { draft } = w;
    const type = eventTypeFor(draft.source, draft.recordType);
    if (!type) return undefined;
    const data: Record<string, unknown> = {
      source: draft.source,
      recordType: draft.recordType,
      occurredAt: isoMillis(isoDateTime(draft.occurredMs)),
      personId: withNhs ? draft.nhsNumber : null,
    };
    // The record's own fields win over the booking details, as when a record is written.
    const { fields, identity } = draft;
    const field = (key: 'date_of_birth' | 'sex' | 'postcode'): unknown =>
      key in fields ? fields[key] : identity?.[key];
    const dateOfBirth = field('date_of_birth');
    if (typeof dateOfBirth === 'string') data.yearOfBirth = Number(dateOfBirth.slice(0, 4));
    const sex = field('sex');
    if (typeof sex === 'string') data.sex = sex;
    const postcode = field('postcode');
    const derived = typeof postcode === 'string' ? this.postcodeData(postcode) : undefined;
    if (derived) {
      data.postcodeSector = derived.postcodeSector;
      data.postcodeDistrict = derived.postcodeDistrict;
      data.lsoa = derived.lsoa;
      data.imdDecile = derived.imdDecile;
      data.localAuthority = derived.localAuthority;
    }
    for (const key in fields) {
      if (key === 'date_of_birth' || key === 'sex' || key === 'postcode') continue;
      const value = fields[key];
      data[key === 'type' ? 'optOutType' : camel(key)] =
        key === 'resolved_at' || key === 'discharged_at' ? isoMillis(String(value)) : value;
    }
    return new TruthEvent(draft.source, w.recordId, type, data);
  }

  /** The edge's derivations of one postcode, cached: people keep their postcode for years. */
  private postcodeData(postcode: string): PostcodeData | undefined {
    if (this.byPostcode.has(postcode)) return this.byPostcode.get(postcode);
    const normalised = tryNormalisePostcode(postcode);
    let derived: PostcodeData | undefined;
    if (normalised) {
      const ref = this.postcodes.lookup(normalised.postcode);
      derived = {
        postcodeSector: normalised.sector,
        postcodeDistrict: normalised.district,
        lsoa: ref?.lsoa ?? null,
        imdDecile: ref?.imdDecile ?? null,
        localAuthority: ref?.localAuthority ?? null,
      };
    }
    this.byPostcode.set(postcode, derived);
    return derived;
  }
}
