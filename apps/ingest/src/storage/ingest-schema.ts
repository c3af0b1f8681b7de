// The schema lives in a lib, shared with the event writer (no app imports another's internals).
export { ensureIngestSchema } from '@linkage/ingest-store';
