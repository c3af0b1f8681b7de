import type { Manifest } from '@linkage/synthetic';
import type { DemoSummary, HeadlineDiagnostics } from './summary';

/** The summary on stdout: a table for people, or one JSON line with `--json`. */
export function printSummary(s: DemoSummary, manifest: Manifest, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const lines = [
    '',
    'linkage demo: done',
    `  records in           ${s.records}`,
    `  events stored        ${s.eventsStored} (duplicates ${s.duplicates})`,
    `  rejected             ${s.rejected}: ${Object.entries(s.rejectedByReason)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  planted dirt         ${JSON.stringify(
      Object.fromEntries(Object.entries(manifest.dirt.planted).map(([k, v]) => [k, v.count])),
    )}`,
    `  link rate            ${s.linkRate}%`,
    ...(s.fuzzyLinkageSeconds
      ? [
          `  fuzzy linkage        ${(s.fuzzyLinkageSeconds.encode + s.fuzzyLinkageSeconds.link).toFixed(1)} s (encoding ${s.fuzzyLinkageSeconds.encode.toFixed(1)} s, linking ${s.fuzzyLinkageSeconds.link.toFixed(1)} s)`,
        ]
      : []),
    `  cohort               ${s.cohort ?? 'suppressed'} (matched ${s.matchedUsers ?? 'suppressed'}; max |SMD| after matching ${s.maxAbsSmdAfterMatching ?? 'suppressed'}; publishing policy ${s.publishingPolicyVersion})`,
    ...s.headline.map(
      (h) =>
        `  ${h.measure.padEnd(20)} DiD ${fmt(h.did)} per person-year, 95% CI [${h.ci95?.map(fmt).join(', ')}], planted truth ${fmt(h.trueEffect === undefined ? null : -h.trueEffect)}${verdicts(h.diagnostics)}`,
    ),
    ...s.segments
      .filter((g) => g.parent === null)
      .map((g) => `  segment              ${g.id.padEnd(45)} ${g.size ?? 'suppressed'}`),
    `  web page             ${s.urls.page}  (sign in with a token below)`,
    `  analytics API        ${s.urls.analytics}  (OpenAPI: ${s.urls.analyticsDocs})`,
    `  governance API       ${s.urls.governance}`,
    `  ingest API           ${s.urls.ingest}`,
    `  DSA / purpose        ${s.dsa} / ${s.purpose}`,
    `  analyst token        ${s.tokens.analyst}`,
    `  officer token        ${s.tokens.governanceOfficer}`,
    `  ingest token         ${s.tokens.ingest}`,
    `  try                  curl -H "Authorization: Bearer $TOKEN" '${s.urls.analytics}/v1/outcomes?measure=crisis'`,
    `  ingest with          curl -H "Authorization: Bearer $INGEST_TOKEN" --data-binary @records.ndjson '${s.urls.ingest}/v1/ingest/liferooms'`,
    `  took                 ${s.durationSeconds} s`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

/** The diagnostics' verdicts, shown next to the headline estimate. */
function verdicts(d: HeadlineDiagnostics | null | undefined): string {
  if (!d) return '';
  const v = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  return `; balance ${v(d.balance.passed)}, pre-trend ${v(d.preTrend.passed)}, negative control ${v(d.negativeControl.passed)}`;
}

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? 'n/a' : (Math.round(n * 1000) / 1000).toFixed(3);
}
