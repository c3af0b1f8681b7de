import type { Sql } from '@linkage/database';
import { ensureIngestSchema } from '../storage/ingest-schema';

export interface LinkageReportRow {
  source: string;
  recordType: string;
  records: number;
  linkedByNhsNumber: number;
  linkedByLinkKey: number;
  /** Linked on Bloom-filter similarity (or by a linkage officer). */
  linkedByFuzzyMatch: number;
  unlinked: number;
  /** Share of records attributed to a person (0-1). */
  matchRate: number;
}

export interface LinkageReport {
  rows: LinkageReportRow[];
  bySource: Omit<LinkageReportRow, 'recordType'>[];
  /** Registrations whose postcode is well-formed but not in the reference table. */
  registrationsWithPostcodeNotInLookup: number;
  linkKeys: number;
}

/**
 * Match rates by source and record type from the linkage index (stored events only). Counts of
 * records, not of people, so no disclosure control is needed (no cell describes a person).
 */
export async function linkageReport(sql: Sql): Promise<LinkageReport> {
  await ensureIngestSchema(sql);
  const raw = await sql<{ source: string; record_type: string; linkage: string; n: bigint }[]>`
    select source, record_type, linkage, count(*) as n
    from ingest.linkage_index group by source, record_type, linkage order by source, record_type`;
  const rows = new Map<string, LinkageReportRow>();
  const bySource = new Map<string, Omit<LinkageReportRow, 'recordType'>>();
  const empty = () => ({
    records: 0,
    linkedByNhsNumber: 0,
    linkedByLinkKey: 0,
    linkedByFuzzyMatch: 0,
    unlinked: 0,
    matchRate: 0,
  });
  for (const r of raw) {
    const key = `${r.source}/${r.record_type}`;
    const row = rows.get(key) ?? { source: r.source, recordType: r.record_type, ...empty() };
    const total = bySource.get(r.source) ?? { source: r.source, ...empty() };
    const n = Number(r.n);
    for (const target of [row, total]) {
      target.records += n;
      if (r.linkage === 'nhs_number') target.linkedByNhsNumber += n;
      else if (r.linkage === 'link_key') target.linkedByLinkKey += n;
      else if (r.linkage === 'fuzzy' || r.linkage === 'clerical') target.linkedByFuzzyMatch += n;
      else target.unlinked += n;
      target.matchRate =
        (target.linkedByNhsNumber + target.linkedByLinkKey + target.linkedByFuzzyMatch) /
        target.records;
    }
    rows.set(key, row);
    bySource.set(r.source, total);
  }
  const [notInLookup] = await sql<{ n: bigint }[]>`
    select count(*) as n from ingest.linkage_index
    where record_type = 'registration' and postcode_in_lookup = false`;
  const [keys] = await sql<{ n: bigint }[]>`select count(*) as n from ingest.link_keys`;
  return {
    rows: [...rows.values()],
    bySource: [...bySource.values()],
    registrationsWithPostcodeNotInLookup: Number(notInLookup.n),
    linkKeys: Number(keys.n),
  };
}
