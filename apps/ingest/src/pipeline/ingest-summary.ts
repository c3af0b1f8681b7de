/** One rejected record, as an HTTP reply lists it: never a value. */
export interface RejectionSample {
  line: number | null;
  recordId: string | null;
  field: string;
  reason: string;
}

/** What an ingest run did, as the store saw it (printed by `linkage ingest --json`, returned by HTTP). */
export interface IngestSummary {
  ingestRunId: string;
  source: string;
  /** How the run ended: everything published was stored, or it failed or was aborted. */
  status: 'stored' | 'failed' | 'aborted';
  /** Why it failed or was aborted (a stable code), else absent. */
  failure?: string;
  /** Records read (valid and rejected). */
  records: number;
  /** Canonical events sent to the event writer. */
  published: number;
  /** Events newly stored by this run. */
  accepted: number;
  /** Valid records already stored (same source + record_id), by an earlier run or earlier in this one. */
  duplicates: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** The first rejections (up to 20), with line, field and reason. */
  firstRejections: RejectionSample[];
  /** Records kept despite a defect, by `<field>:<reason>` (e.g. an invalid optional NHS number). */
  warnings?: Record<string, number>;
  /** Of the accepted: attributed to a person (by NHS number, link key or fuzzy match) / not (yet). */
  linked: number;
  unlinked: number;
  durationMs: number;
}
