import { Type, type Static } from '@sinclair/typebox';
import { EventMetadata, Pseudonym, SCHEMA_VERSION } from './common';

/**
 * Records that were held under `unlinked-<linkKey>` now belong to a person: appended to the
 * person's stream; projections attribute the listed events (and later ones with the same link
 * key) to `personId`.
 */
export const RecordLinked = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('RecordLinked'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: Type.Object(
      {
        linkKey: Pseudonym,
        personId: Pseudonym,
        eventIds: Type.Array(Type.String({ format: 'uuid' })),
        keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
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
