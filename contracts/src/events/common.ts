import { hash as cryptoHash } from 'node:crypto';
import { Type, type TProperties } from '@sinclair/typebox';
import { RecordId, SEXES, StringEnum, type Source } from '../source/common';

/** Every canonical event is schema version 1 for now; a later version comes with an upcaster. */
export const SCHEMA_VERSION = 1 as const;

/** Keyed pseudonym (person id or link key): 32 lower-case hex characters. */
export const Pseudonym = Type.String({ pattern: '^[0-9a-f]{32}$' });
const UtcDateTime = Type.String({ format: 'date-time' });

/** Where and when an event entered the service. Never identifiers. */
export const EventMetadata = Type.Object(
  {
    ingestRunId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    line: Type.Optional(Type.Integer({ minimum: 1 })),
    receivedAt: UtcDateTime,
    /** Data-quality warnings of a record that was kept (field and reason, never a value). */
    warnings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            field: Type.String({ maxLength: 128 }),
            reason: Type.String({ pattern: '^[a-z_]{1,64}$' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 16 },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * Keyed Bloom-filter encodings of names, date of birth and postcode plus keyed blocking keys
 * (liferooms records, for fuzzy linkage). Travels from the edge to the event writer, which keeps
 * it in the linkage index and removes it before the event is stored.
 */
export const LinkageEncodingData = Type.Object(
  {
    v: Type.Literal(1),
    givenName: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16,256}$' })),
    familyName: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16,256}$' })),
    dateOfBirth: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16,256}$' })),
    postcode: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16,256}$' })),
    blocks: Type.Array(Type.String({ pattern: '^[0-9a-f]{16}$' }), { maxItems: 8 }),
  },
  { additionalProperties: false },
);

/** The fields every source-record event carries. */
export function commonData<S extends Source, R extends string>(source: S, recordType: R) {
  return {
    source: Type.Literal(source),
    recordId: RecordId,
    recordType: Type.Literal(recordType),
    occurredAt: UtcDateTime,
    personId: Type.Union([Pseudonym, Type.Null()]),
    linkKey: Type.Union([Pseudonym, Type.Null()]),
    keyId: Type.String({ minLength: 1, maxLength: 64 }),
    linkageEncoding: Type.Optional(LinkageEncodingData),
  };
}

/**
 * Demographics, present when the record carries them: year of birth (never the date), sex, and
 * the postcode only as sector/district plus what the reference table gives for it.
 * `postcodeInLookup` is false for a well-formed postcode missing from the table.
 */
export const demographicsData = {
  yearOfBirth: Type.Optional(Type.Integer({ minimum: 1900, maximum: 9999 })),
  sex: Type.Optional(StringEnum(SEXES)),
  postcodeSector: Type.Optional(Type.String({ pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]$' })),
  postcodeDistrict: Type.Optional(Type.String({ pattern: '^[A-Z]{1,2}[0-9][A-Z0-9]?$' })),
  lsoa: Type.Optional(Type.Union([Type.String({ pattern: '^[EW]0[0-9]{7}$' }), Type.Null()])),
  imdDecile: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10 }), Type.Null()])),
  localAuthority: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
  ),
  postcodeInLookup: Type.Optional(Type.Boolean()),
};

/** One canonical event schema: `{ eventId, type, schemaVersion: 1, data, metadata }`, closed. */
export function eventSchema<T extends string, D extends TProperties>(type: T, data: D) {
  return Type.Object(
    {
      eventId: Type.String({ format: 'uuid' }),
      type: Type.Literal(type),
      schemaVersion: Type.Literal(SCHEMA_VERSION),
      data: Type.Object(data, { additionalProperties: false }),
      metadata: EventMetadata,
    },
    {
      $id: `https://linkage.example/contracts/v1/events/${type}`,
      title: `${type} (v1)`,
      additionalProperties: false,
    },
  );
}

// A fixed namespace so that ids are stable across releases; changing it re-ids every event.
const EVENT_ID_NAMESPACE = 'linkage:canonical-event:v1';

/**
 * A UUID derived from a name (SHA-256 of namespace + name, formatted with the version-5 and
 * RFC 4122 variant bits): the same name always gives the same id.
 */
export function deterministicUuid(name: string): string {
  // One-shot `hash` (Node >= 20.12): a third cheaper than createHash for names this short.
  const hash = cryptoHash('sha256', `${EVENT_ID_NAMESPACE}\u001f${name}`, 'buffer');
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The event id of a source record: redelivery and re-ingest of a record give the same id. */
export function eventIdFor(source: Source, recordId: string): string {
  return deterministicUuid(`${source}\u001f${recordId}`);
}
