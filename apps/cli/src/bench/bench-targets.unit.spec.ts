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

  it('takes the worst API p95, and says not run without one', () => {
    expect(verdict([], 'API p95 < 100 ms at 50 clients')!.met).toBe('not run');
    const rows = [
      rowOf('api-load', '/a', 10, 'requests', 1, { extra: { p95ms: 40 } }),
      rowOf('api-load', '/b', 10, 'requests', 1, { extra: { p95ms: 120 } }),
    ];
    expect(verdict(rows, 'API p95 < 100 ms at 50 clients')).toEqual({
      target: 'API p95 < 100 ms at 50 clients',
      measured: 'worst 120 ms (/b)',
      met: 'no',
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
