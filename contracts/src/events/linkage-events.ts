import { Type, type Static } from '@sinclair/typebox';
import { EventMetadata, Pseudonym, SCHEMA_VERSION } from './common';

const Similarity = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

/**
 * A link decision: the listed records (events without a valid NHS number) now belong to a person.
 * Appended to the person's stream by the one owner of link decisions (the event writer); every
 * consumer attributes the listed events to `personId` from this event alone. `method` says how it
 * was decided, `weight` is the Fellegi-Sunter match weight, `evidence` the field-level
 * similarities (scores only, never identifiers). Old events carry only `linkKey`.
 */
export const RecordLinked = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('RecordLinked'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: Type.Object(
      {
        linkKey: Type.Optional(Pseudonym),
        personId: Pseudonym,
        eventIds: Type.Array(Type.String({ format: 'uuid' })),
        keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        method: Type.Optional(
          Type.Union([Type.Literal('link_key'), Type.Literal('fuzzy'), Type.Literal('clerical')]),
        ),
        weight: Type.Optional(Type.Number()),
        evidence: Type.Optional(
          Type.Object(
            {
              givenName: Similarity,
              familyName: Similarity,
              dateOfBirth: Similarity,
              postcode: Similarity,
              sex: Similarity,
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    metadata: EventMetadata,
  },
  {
    $id: 'https://linkage.example/contracts/v1/events/RecordLinked',
    title: 'RecordLinked (v1)',
    additionalProperties: false,
  },
);

export type RecordLinkedEvent = Static<typeof RecordLinked>;

/**
 * A link decision withdrawn: the listed records no longer belong to `personId` (a better
 * candidate appeared, or a linkage officer rejected the link). Appended to that person's stream.
 */
export const RecordUnlinked = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('RecordUnlinked'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: Type.Object(
      {
        personId: Pseudonym,
        eventIds: Type.Array(Type.String({ format: 'uuid' })),
        reason: Type.Union([Type.Literal('better_candidate'), Type.Literal('clerical_reject')]),
      },
      { additionalProperties: false },
    ),
    metadata: EventMetadata,
  },
  {
    $id: 'https://linkage.example/contracts/v1/events/RecordUnlinked',
    title: 'RecordUnlinked (v1)',
    additionalProperties: false,
  },
);

export type RecordUnlinkedEvent = Static<typeof RecordUnlinked>;
