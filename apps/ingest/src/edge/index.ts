/** The ingest edge: the only place (with libs/pseudonymisation) that holds identifiers. */
export * from './to-canonical-event';
export * from './ingest-record';
export * from './edge-outcome';
export * from './edge-threads';
export {
  eventIdFor,
  EVENT_TYPES,
  EVENT_TYPE_BY_RECORD_TYPE,
  type CanonicalEvent,
  type CanonicalEventType,
  type SourceRecordEvent,
} from '@linkage/contracts';
