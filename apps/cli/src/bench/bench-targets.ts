import type { BenchRow } from './bench-report';

/** One of issue 15's targets, as read from a run's figures. */
export interface TargetCheck {
  target: string;
  /** What this run measured (`-` when the scenario that measures it did not run). */
  measured: string;
  met: 'yes' | 'no' | 'not run';
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function ratio(
  target: string,
  row: BenchRow | undefined,
  key: string,
  atLeast: number,
): TargetCheck {
  const value = num(row?.extra?.[key]);
  if (value === undefined) return { target, measured: '-', met: 'not run' };
  return { target, measured: `${value}x`, met: value >= atLeast ? 'yes' : 'no' };
}

/**
 * End to end against COPY, with the bound its CPU work sets (`cpuBoundXCopy`: the ratio if every
 * core were busy throughout), which says whether waiting or work stands between it and 0.3x.
 */
function endToEnd(target: string, row: BenchRow | undefined): TargetCheck {
  const check = ratio(target, row, 'xCopy', 0.3);
  const bound = num(row?.extra?.cpuBoundXCopy);
  return bound === undefined
    ? check
    : { ...check, measured: `${check.measured} (CPU bound ${bound}x)` };
}

/** The slowest route's p95 among `routes` against `underMs` (`not run` without one). */
function worstP95(target: string, routes: readonly BenchRow[], underMs: number): TargetCheck {
  if (routes.length === 0) return { target, measured: '-', met: 'not run' };
  const worst = routes.reduce((a, b) => (num(b.extra!.p95ms)! > num(a.extra!.p95ms)! ? b : a));
  const p95 = num(worst.extra!.p95ms)!;
  return {
    target,
    measured: `worst ${Math.round(p95)} ms (${worst.variant})`,
    met: p95 < underMs ? 'yes' : 'no',
  };
}

/**
 * Issue 15's targets against the figures of one run, so that `linkage bench` prints every
 * ratio and verdict together. Only what the run measured is judged; the rest says `not run`.
 */
export function checkTargets(rows: readonly BenchRow[]): TargetCheck[] {
  const find = (scenario: string, variant: string) =>
    rows.find((r) => r.scenario === scenario && r.variant === variant);
  const append = find('event-store-append', 'postgresql');
  const projection = find('projection', 'postgresql');
  const checks = [
    ratio('append >= 0.6x COPY', append, 'xCopy', 0.6),
    ratio("append >= 3x Emmett's appendToStream", append, 'xEmmett', 3),
    endToEnd('end to end (in-process) >= 0.3x COPY', find('pipeline', 'in-process')),
    endToEnd('end to end (Kafka) >= 0.3x COPY', find('pipeline', 'kafka')),
    ratio('projection >= 0.3x COPY', projection, 'xCopy', 0.3),
    ratio("projection >= 2x Emmett's rebuild", projection, 'xEmmett', 2),
  ];

  const api = rows.filter((r) => r.scenario === 'api-load' && num(r.extra?.p95ms) !== undefined);
  const isEstimate = (r: BenchRow) => r.variant.startsWith('/v1/outcomes');
  checks.push(
    worstP95('API p95 < 100 ms at 50 clients, estimate routes', api.filter(isEstimate), 100),
    worstP95(
      'API p95 < 50 ms at 50 clients, other routes',
      api.filter((r) => !isEstimate(r)),
      50,
    ),
  );

  const scale = rows.filter((r) => r.scenario === 'scale' && r.count > 0);
  if (scale.length === 0) {
    checks.push({ target: 'no process over 1 GiB at 10 M events', measured: '-', met: 'not run' });
  } else {
    const events = Math.max(...scale.map((r) => r.count));
    const peak = Math.max(
      ...scale.flatMap((r) => [
        num(r.extra?.nodePeakMb) ?? 0,
        num(r.extra?.postgresBackendPeakMb) ?? 0,
      ]),
    );
    const flat = scale.every((r) => r.extra?.flat === 'yes');
    const atFull = events >= 10_000_000;
    checks.push({
      target: 'no process over 1 GiB at 10 M events',
      measured: `peak ${peak} MB at ${events.toLocaleString('en-GB')} events, flat=${flat ? 'yes' : 'no'}`,
      met: peak < 1024 && flat ? (atFull ? 'yes' : 'not run') : 'no',
    });
  }
  return checks;
}

/** The checks as a small text table. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  const header = { target: 'target (issue 15)', measured: 'measured', met: 'met' };
  const all = [header, ...checks];
  const w1 = Math.max(...all.map((c) => c.target.length));
  const w2 = Math.max(...all.map((c) => c.measured.length));
  const line = (c: { target: string; measured: string; met: string }) =>
    `${c.target.padEnd(w1)}  ${c.measured.padEnd(w2)}  ${c.met}`.trimEnd();
  return (
    [line(header), `${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ---`, ...checks.map(line)].join('\n') +
    '\n'
  );
}
