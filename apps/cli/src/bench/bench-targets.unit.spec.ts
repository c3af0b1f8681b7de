import { rowOf } from './bench-report';
import { checkTargets, formatTargets } from './bench-targets';

describe('checkTargets', () => {
  const verdict = (rows: Parameters<typeof checkTargets>[0], target: string) =>
    checkTargets(rows).find((c) => c.target === target);

  it('judges each ratio against its target, at the boundary too', () => {
    const rows = [
      rowOf('event-store-append', 'postgresql', 100, 'events', 1, {
        extra: { xCopy: 0.6, xEmmett: 2.9 },
      }),
      rowOf('projection', 'postgresql', 100, 'events', 1, { extra: { xCopy: 0.29, xEmmett: 9 } }),
    ];
    expect(verdict(rows, 'append >= 0.6x COPY')).toMatchObject({ measured: '0.6x', met: 'yes' });
    expect(verdict(rows, "append >= 3x Emmett's appendToStream")!.met).toBe('no');
    expect(verdict(rows, 'projection >= 0.3x COPY')!.met).toBe('no');
    expect(verdict(rows, "projection >= 2x Emmett's rebuild")!.met).toBe('yes');
    expect(verdict(rows, 'end to end (in-process) >= 0.3x COPY')!.met).toBe('not run');
  });

  it('takes the worst API p95 of the estimate routes and of the others, and says not run without one', () => {
    const estimates = 'API p95 < 100 ms at 50 clients, estimate routes';
    const others = 'API p95 < 50 ms at 50 clients, other routes';
    expect(verdict([], estimates)!.met).toBe('not run');
    expect(verdict([], others)!.met).toBe('not run');
    const rows = [
      rowOf('api-load', '/v1/outcomes?measure=gp', 10, 'requests', 1, { extra: { p95ms: 90 } }),
      rowOf('api-load', '/v1/outcomes?measure=cost', 10, 'requests', 1, { extra: { p95ms: 60 } }),
      rowOf('api-load', '/v1/cohort', 10, 'requests', 1, { extra: { p95ms: 40 } }),
      rowOf('api-load', '/v1/breakdowns/lsoa?measure=ae', 10, 'requests', 1, {
        extra: { p95ms: 55 },
      }),
    ];
    // 90 ms passes for an estimate, 55 ms fails for any other route.
    expect(verdict(rows, estimates)).toEqual({
      target: estimates,
      measured: 'worst 90 ms (/v1/outcomes?measure=gp)',
      met: 'yes',
    });
    expect(verdict(rows, others)).toEqual({
      target: others,
      measured: 'worst 55 ms (/v1/breakdowns/lsoa?measure=ae)',
      met: 'no',
    });
    const slowEstimate = [
      rowOf('api-load', '/v1/outcomes?measure=ae', 1, 'requests', 1, { extra: { p95ms: 100 } }),
    ];
    expect(verdict(slowEstimate, estimates)!.met).toBe('no');
    expect(verdict(slowEstimate, others)!.met).toBe('not run');
  });

  it('shows the CPU bound beside the end-to-end ratio', () => {
    const rows = [
      rowOf('pipeline', 'in-process', 100, 'records', 1, {
        extra: { xCopy: 0.14, cpuBoundXCopy: 0.21 },
      }),
      rowOf('pipeline', 'kafka', 100, 'records', 1, { extra: { xCopy: 0.31 } }),
    ];
    expect(verdict(rows, 'end to end (in-process) >= 0.3x COPY')).toMatchObject({
      measured: '0.14x (CPU bound 0.21x)',
      met: 'no',
    });
    expect(verdict(rows, 'end to end (Kafka) >= 0.3x COPY')).toMatchObject({
      measured: '0.31x',
      met: 'yes',
    });
  });

  it('meets the memory target only at 10 M events, flat and under 1 GiB', () => {
    const scale = (count: number, peak: number, flat: string) => [
      rowOf('scale', 'append (postgresql)', count, 'events', 1, {
        extra: { nodePeakMb: peak, postgresBackendPeakMb: 150, flat },
      }),
    ];
    const target = 'no process over 1 GiB at 10 M events';
    expect(verdict(scale(10_000_000, 300, 'yes'), target)!.met).toBe('yes');
    expect(verdict(scale(2_000_000, 300, 'yes'), target)!.met).toBe('not run');
    expect(verdict(scale(10_000_000, 1100, 'yes'), target)!.met).toBe('no');
    expect(verdict(scale(10_000_000, 300, 'no'), target)!.met).toBe('no');
  });

  it('prints one line per target', () => {
    const text = formatTargets(checkTargets([]));
    expect(text.trimEnd().split('\n')).toHaveLength(2 + checkTargets([]).length);
  });
});
