import type { Manifest } from '@linkage/synthetic';
import { linkageSeconds } from '@linkage/pseudonymisation';
import { linkageReport, type IngestRuntime, type IngestSummary } from '../../../ingest/src';
import type { MatchingSummary } from '../../../projector/src';
import { publishedSegments, type PublishedSegment } from '../commands/segment.command';
import { gateMatchingSummary } from './demo-publication';
import { DEMO_DSA, DEMO_PURPOSE } from './demo-run';
import type { DemoTokens } from './mint-tokens';
import type { DemoUrls } from './serve';

export interface DemoSummary {
  records: number;
  eventsStored: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  linkRate: number | null;
  /** Seconds spent on fuzzy linkage: Bloom-filter encoding at the edge and linking in the writer. */
  fuzzyLinkageSeconds?: { encode: number; link: number };
  eventsProjected: number;
  /** Through the publishing gate, like every number about people. */
  cohort: number | null;
  matchedUsers: number | null;
  maxAbsSmdAfterMatching: number | null;
  publishingPolicyVersion: string;
  headline: HeadlineOutcome[];
  /** Segment sizes as published (through the publishing gate), as of the data's last day. */
  segments: PublishedSegment[];
  urls: DemoUrls;
  tokens: DemoTokens;
  dsa: string;
  purpose: string;
  durationSeconds: number;
}

export interface HeadlineOutcome {
  measure: string;
  did: number | null;
  ci95: [number, number] | null;
  nUsers: number | null;
  nControls: number | null;
  trueEffect?: number;
  /** Which diagnostics passed beside the estimate (balance, pre-trend, negative control). */
  diagnostics?: HeadlineDiagnostics | null;
}

export interface HeadlineDiagnostics {
  balance: { passed: boolean };
  preTrend: { passed: boolean };
  negativeControl: { passed: boolean };
}

/**
 * The run's summary. Numbers about people come from the served analytics API or through the
 * publishing gate, as any user would see them.
 */
export async function collectSummary(input: {
  runtime: IngestRuntime;
  manifest: Manifest;
  ingested: IngestSummary[];
  projected: number;
  matching: MatchingSummary;
  urls: DemoUrls;
  tokens: DemoTokens;
  started: number;
}): Promise<DemoSummary> {
  const { ingested, urls, tokens } = input;
  const headline = await headlineOutcomes(urls.analytics, tokens.analyst, input.manifest);
  const segments = await publishedSegments(urls.analytics, tokens.analyst);
  const gated = gateMatchingSummary(input.matching);
  return {
    records: ingested.reduce((n, s) => n + s.records, 0),
    eventsStored: ingested.reduce((n, s) => n + s.accepted, 0),
    duplicates: ingested.reduce((n, s) => n + s.duplicates, 0),
    rejected: ingested.reduce((n, s) => n + s.rejected, 0),
    rejectedByReason: mergeCounts(ingested.map((s) => s.rejectedByReason)),
    linkRate: await storedLinkRate(input.runtime),
    fuzzyLinkageSeconds: await fuzzyLinkageSeconds(),
    eventsProjected: input.projected,
    cohort: gated.cohort,
    matchedUsers: gated.matchedUsers,
    maxAbsSmdAfterMatching: gated.maxAbsSmdAfterMatching,
    publishingPolicyVersion: gated.policyVersion,
    headline,
    segments,
    urls,
    tokens,
    dsa: DEMO_DSA,
    purpose: DEMO_PURPOSE,
    durationSeconds: Math.round((Date.now() - input.started) / 1000),
  };
}

async function headlineOutcomes(
  url: string,
  token: string,
  manifest: Manifest,
): Promise<HeadlineOutcome[]> {
  const out: HeadlineOutcome[] = [];
  for (const measure of ['crisis', 'ae'] as const) {
    const response = await fetch(`${url}/v1/outcomes?measure=${measure}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as Partial<HeadlineOutcome>;
    const truth = manifest.effects[measure];
    out.push({
      measure,
      did: body.did ?? null,
      ci95: body.ci95 ?? null,
      nUsers: body.nUsers ?? null,
      nControls: body.nControls ?? null,
      trueEffect: truth?.trueEffect,
      diagnostics: body.diagnostics ?? null,
    });
  }
  return out;
}

function mergeCounts(counts: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) merged[k] = (merged[k] ?? 0) + v;
  return merged;
}

/**
 * Share of stored records attributed to a person, in percent, from the linkage index: the state
 * of the store, so a rerun that stores nothing new still reports it.
 */
async function storedLinkRate(runtime: IngestRuntime): Promise<number | null> {
  const report = await linkageReport(runtime.db.sql);
  const records = report.bySource.reduce((n, s) => n + s.records, 0);
  const linked = report.bySource.reduce(
    (n, s) => n + s.linkedByNhsNumber + s.linkedByLinkKey + s.linkedByFuzzyMatch,
    0,
  );
  return records === 0 ? null : Math.round((linked / records) * 10000) / 100;
}

/** Fuzzy linkage time in this process so far, from its counter. */
async function fuzzyLinkageSeconds(): Promise<{ encode: number; link: number }> {
  const { values } = await linkageSeconds.get();
  const of = (stage: string) => values.find((v) => v.labels.stage === stage)?.value ?? 0;
  return { encode: of('encode'), link: of('link') };
}
