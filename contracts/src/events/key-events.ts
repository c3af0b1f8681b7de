import { Type, type Static } from '@sinclair/typebox';
import { EventMetadata, Pseudonym, SCHEMA_VERSION } from './common';

/**
 * The pseudonymisation key was rotated: the person (or walk-in link key) known as
 * `previousPersonId` under key `previousKeyId` is `personId` under `keyId`. Made at the edge by
 * `linkage key rotate`, which holds both keys and the source records; appended to the new
 * person stream (`person-<personId>`, or `unlinked-<linkKey>` for a link key). Nothing is
 * re-identified and no stored event is rewritten. Kept out of `EVENT_SCHEMAS` (the events of
 * source records and linkage) because it never travels on the canonical topic.
 */
export const PseudonymRotated = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('PseudonymRotated'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: Type.Object(
      {
        kind: Type.Union([Type.Literal('person'), Type.Literal('link_key')]),
        /** The pseudonym under the new key (null fields are never written). */
        personId: Type.Optional(Pseudonym),
        previousPersonId: Type.Optional(Pseudonym),
        linkKey: Type.Optional(Pseudonym),
        previousLinkKey: Type.Optional(Pseudonym),
        keyId: Type.String({ minLength: 1, maxLength: 64 }),
        previousKeyId: Type.String({ minLength: 1, maxLength: 64 }),
      },
      { additionalProperties: false },
    ),
    metadata: EventMetadata,
  },
  {
    $id: 'https://linkage.example/contracts/v1/events/PseudonymRotated',
    title: 'PseudonymRotated (v1)',
    additionalProperties: false,
  },
);

export type PseudonymRotatedEvent = Static<typeof PseudonymRotated>;
