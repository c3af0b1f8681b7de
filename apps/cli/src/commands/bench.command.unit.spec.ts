import { Command } from 'commander';
import { ValidationError } from '@linkage/common';
import { ensureBenchKey, type BenchScenario } from '../bench/bench-context';
import { formatTable, parseSize, rowOf } from '../bench/bench-report';
import { rssVerdict } from '../bench/ingest-memory.bench';
import { planBench, registerBenchCommand } from './bench.command';

const scenario = (
  name: string,
  sizeKind: 'count' | 'bytes',
  defaultSize: number,
): BenchScenario => ({
  name,
  description: name,
  sizeKind,
  defaultSize,
  sizeMeaning: 'things',
  run: async () => [],
});
const SCENARIOS = [scenario('append', 'count', 100), scenario('ingest', 'bytes', 1024 ** 3)];

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.detail.reason;
    throw error;
  }
  return undefined;
}

describe('parseSize', () => {
  it.each([
    ['200000', 'count', 200_000],
    ['200k', 'count', 200_000],
    ['1.5M', 'count', 1_500_000],
    ['1GB', 'bytes', 1024 ** 3],
    ['256mb', 'bytes', 256 * 1024 ** 2],
    ['4096', 'bytes', 4096],
  ] as const)('reads %s as a %s', (text, kind, expected) => {
    expect(parseSize(text, kind)).toBe(expected);
  });

  it.each([
    ['1GB', 'count', 'invalid_size_unit'],
    ['12 apples', 'count', 'invalid_size_unit'],
    ['-5', 'count', 'invalid_size'],
    ['0', 'bytes', 'out_of_range'],
  ] as const)('refuses %s for a %s scenario (%s)', (text, kind, reason) => {
    expect(reasonOf(() => parseSize(text, kind))).toBe(reason);
  });
});

describe('planBench', () => {
  it('runs every scenario at its default size when nothing is asked for', () => {
    expect(planBench({}, SCENARIOS).map((p) => [p.scenario.name, p.size])).toEqual([
      ['append', 100],
      ['ingest', 1024 ** 3],
    ]);
  });

  it('keeps registry order, takes repeated and comma-separated names and per-scenario sizes', () => {
    const plan = planBench(
      { scenario: ['ingest,append'], size: ['5k', 'ingest=256MB'] },
      SCENARIOS,
    );
    expect(plan.map((p) => [p.scenario.name, p.size])).toEqual([
      ['append', 5000],
      ['ingest', 256 * 1024 ** 2],
    ]);
  });

  it('refuses unknown scenarios, in --scenario and in --size', () => {
    expect(reasonOf(() => planBench({ scenario: ['nope'] }, SCENARIOS))).toBe('unknown_scenario');
    expect(reasonOf(() => planBench({ size: ['nope=1k'] }, SCENARIOS))).toBe('unknown_scenario');
  });
});

describe('formatTable', () => {
  it('prints a header, a rule and one aligned line per row with rate and notes', () => {
    const table = formatTable([
      rowOf('event-store-append', 'postgresql', 100_000, 'events', 4, { extra: { batch: 1000 } }),
      rowOf('edge', 'cipha', 20_000, 'records', 0.5, { note: 'skipped: x' }),
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^scenario\s+variant\s+count\s+unit\s+seconds\s+per second\s+notes$/);
    expect(lines[2]).toContain('100,000');
    expect(lines[2]).toContain('25,000');
    expect(lines[2]).toContain('batch=1,000');
    expect(lines[3]).toContain('40,000');
    expect(lines[3]).toContain('skipped: x');
    // The numeric columns are right-aligned: the rates end in the same column.
    expect(lines[2].indexOf('25,000') + 6).toBe(lines[3].indexOf('40,000') + 6);
  });
});

describe('rssVerdict', () => {
  const mb = (n: number) => n * 1024 ** 2;
  it('calls memory flat when the second half peaks no higher than 20% over the first', () => {
    const samples = [0, 1000, 2000, 3000, 4000].map((at, i) => ({
      at,
      rss: mb([300, 500, 520, 510, 530][i]),
    }));
    expect(rssVerdict(samples)).toEqual({
      rssFirstHalfMaxMb: 520,
      rssSecondHalfMaxMb: 530,
      flat: true,
    });
  });

  it('calls memory growing when it keeps climbing with the input', () => {
    const samples = [0, 1000, 2000, 3000, 4000].map((at, i) => ({
      at,
      rss: mb([300, 500, 800, 1100, 1400][i]),
    }));
    expect(rssVerdict(samples).flat).toBe(false);
  });
});

describe('linkage bench', () => {
  it('registers the verb with its options', () => {
    const program = new Command('linkage');
    registerBenchCommand(program);
    const bench = program.commands.find((c) => c.name() === 'bench');
    expect(bench?.options.map((o) => o.long)).toEqual(['--scenario', '--size', '--json']);
  });
});

describe('ensureBenchKey', () => {
  it('sets a random 32-byte key when none is configured, and only then', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(ensureBenchKey(env)).toBe(true);
    expect(env.PSEUDONYMISATION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(env.PSEUDONYMISATION_KEY_ID).toBe('bench');
    const configured: NodeJS.ProcessEnv = { PSEUDONYMISATION_KEY_FILE: '/run/secrets/key' };
    expect(ensureBenchKey(configured)).toBe(false);
    expect(configured.PSEUDONYMISATION_KEY).toBeUndefined();
  });
});

describe('linkage bench and the key gate', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of [
      'PSEUDONYMISATION_KEY',
      'PSEUDONYMISATION_KEY_FILE',
      'PSEUDONYMISATION_KEY_ID',
      'DATABASE_URL',
    ]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('gets its own key before the gate, so an unconfigured run fails on its options, not the key', async () => {
    for (const k of [
      'PSEUDONYMISATION_KEY',
      'PSEUDONYMISATION_KEY_FILE',
      'PSEUDONYMISATION_KEY_ID',
    ]) {
      delete process.env[k];
    }
    process.env.DATABASE_URL = 'postgres://unused@127.0.0.1:1/none'; // the demo key does not count
    const { buildProgram } = await import('../main');
    const run = buildProgram().parseAsync(['node', 'linkage', 'bench', '--scenario', 'nope']);
    await expect(run).rejects.toMatchObject({ detail: { reason: 'unknown_scenario' } });
  });
});
