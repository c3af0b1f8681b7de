import { Type, type Static } from '@sinclair/typebox';
import { EventMetadata, Pseudonym, SCHEMA_VERSION } from './common';

const mergeData = <R extends string>(reasons: readonly R[]) =>
  Type.Object(
    {
      /** The merged person (whose stream holds the event). */
      personId: Pseudonym,
      survivorId: Pseudonym,
      reason: Type.Union(reasons.map((r) => Type.Literal(r))),
      /** The number of this merge decision on the merged person (1, 2, ...). */
      decision: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false },
  );

/**
 * Two NHS-numbered persons are one: every record of `personId` is attributed to `survivorId`
 * while the merge stands (neither pseudonym changes). Decided by a linkage officer through the
 * event writer and appended to `person-<personId>`. Kept out of `EVENT_SCHEMAS` (the events of
 * source records and record links) because it never travels on the canonical topic.
 */
export const PersonsMerged = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('PersonsMerged'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: mergeData(['nhs_number_correction', 'duplicate_registration'] as const),
    metadata: EventMetadata,
  },
  {
    $id: 'https://linkage.example/contracts/v1/events/PersonsMerged',
    title: 'PersonsMerged (v1)',
    additionalProperties: false,
  },
);
export type PersonsMergedEvent = Static<typeof PersonsMerged>;

/** A merge withdrawn: the records of `personId` are its own again. */
export const PersonsSplit = Type.Object(
  {
    eventId: Type.String({ format: 'uuid' }),
    type: Type.Literal('PersonsSplit'),
    schemaVersion: Type.Literal(SCHEMA_VERSION),
    data: mergeData(['nhs_number_correction', 'merged_in_error'] as const),
    metadata: EventMetadata,
  },
  {
    $id: 'https://linkage.example/contracts/v1/events/PersonsSplit',
    title: 'PersonsSplit (v1)',
    additionalProperties: false,
  },
);
export type PersonsSplitEvent = Static<typeof PersonsSplit>;
