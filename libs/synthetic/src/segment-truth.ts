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

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

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
      occurredAt: new Date(isoDateTime(draft.occurredMs)).toISOString(),
      personId: withNhs ? draft.nhsNumber : null,
    };
    const demographics = { ...draft.identity, ...draft.fields } as Record<string, unknown>;
    if (typeof demographics.date_of_birth === 'string')
      data.yearOfBirth = Number(demographics.date_of_birth.slice(0, 4));
    if (typeof demographics.sex === 'string') data.sex = demographics.sex;
    const postcode =
      typeof demographics.postcode === 'string'
        ? tryNormalisePostcode(demographics.postcode)
        : undefined;
    if (postcode) {
      const ref = this.postcodes.lookup(postcode.postcode);
      data.postcodeSector = postcode.sector;
      data.postcodeDistrict = postcode.district;
      data.lsoa = ref?.lsoa ?? null;
      data.imdDecile = ref?.imdDecile ?? null;
      data.localAuthority = ref?.localAuthority ?? null;
    }
    for (const [key, value] of Object.entries(draft.fields)) {
      if (['date_of_birth', 'sex', 'postcode'].includes(key)) continue;
      data[key === 'type' ? 'optOutType' : camel(key)] =
        key === 'resolved_at' || key === 'discharged_at'
          ? new Date(String(value)).toISOString()
          : value;
    }
    return { eventId: eventIdFor(draft.source, w.recordId), type, data };
  }
}
