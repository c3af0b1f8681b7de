/** What an ingest run did, as the store saw it (printed by `linkage ingest --json`, returned by HTTP). */
export interface IngestSummary {
  ingestRunId: string;
  source: string;
  /** Records read (valid and rejected). */
  records: number;
  /** Events newly stored by this run. */
  accepted: number;
  /** Valid records already stored (same source + record_id), by an earlier run or earlier in this one. */
  duplicates: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Records kept despite a defect, by `<field>:<reason>` (e.g. an invalid optional NHS number). */
  warnings?: Record<string, number>;
  /** Of the accepted: attributed to a person (by NHS number, link key or fuzzy match) / not (yet). */
  linked: number;
  unlinked: number;
  durationMs: number;
}
