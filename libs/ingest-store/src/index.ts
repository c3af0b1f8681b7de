// The `ingest` schema, shared by the ingest edge (dead letters, runs, reports) and the event
// writer (linkage index, run counts): a lib, so neither app reaches into the other.
export * from './ingest-schema';
export * from './data-loss';
export * from './consumer-positions';
