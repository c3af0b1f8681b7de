import * as path from 'node:path';
import { benchIngest } from '../../../ingest/src';
import { rowOf, type BenchRow } from './bench-report';
import type { BenchContext, BenchScenario } from './bench-context';

/** Allowed growth of the peak RSS from the first half of a run to the second ("flat"). */
export const FLAT_TOLERANCE = 1.2;
const MB = 1024 ** 2;

export interface RssSample {
  /** Milliseconds since sampling began. */
  at: number;
  rss: number;
}

/** Samples `process.memoryUsage().rss` every second (and at start and stop). */
function rssSampler(): { stop(): RssSample[] } {
  const samples: RssSample[] = [];
  const start = Date.now();
  const take = () => samples.push({ at: Date.now() - start, rss: process.memoryUsage().rss });
  take();
  const timer = setInterval(take, 1000);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * Whether resident memory stayed flat: the peak of the run's second half is within 20% of the
 * first half's. Memory that grows with the input shows up as a second-half peak well above it.
 */
export function rssVerdict(samples: readonly RssSample[]): {
  rssFirstHalfMaxMb: number;
  rssSecondHalfMaxMb: number;
  flat: boolean;
} {
  const end = samples[samples.length - 1]?.at ?? 0;
  const peak = (xs: readonly RssSample[]) => Math.max(0, ...xs.map((s) => s.rss));
  const first = peak(samples.filter((s) => s.at <= end / 2));
  const second = peak(samples.filter((s) => s.at > end / 2));
  return {
    rssFirstHalfMaxMb: Math.round(first / MB),
    rssSecondHalfMaxMb: Math.round(second / MB),
    flat: second <= first * FLAT_TOLERANCE,
  };
}

function pick(from: object, keys: string[]): Record<string, number> {
  const values = from as Record<string, unknown>;
  return Object.fromEntries(
    keys.filter((k) => typeof values[k] === 'number').map((k) => [k, values[k] as number]),
  );
}

/** Runs `fn` with environment variables set (undefined = unset), restoring them afterwards. */
async function withEnv<T>(
  vars: Record<string, string | undefined>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/**
 * The large NDJSON ingest of `benchIngest` (apps/ingest: in-process transport, embedded event
 * writer) into a fresh database: a fresh PostgreSQL database when `DATABASE_URL` is set, else
 * PGlite under the bench's scratch folder (never the demo's ./.data). RSS is sampled each
 * second here as well, to say whether it stayed flat.
 */
export const ingestMemoryBench: BenchScenario = {
  name: 'ingest-memory',
  description: 'a 1 GB NDJSON file ingest end to end (benchIngest), RSS sampled each second',
  sizeKind: 'bytes',
  defaultSize: 1024 ** 3,
  sizeMeaning: 'bytes of NDJSON (e.g. 1GB, 256MB)',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const fresh = await ctx.freshPostgresql();
    // benchIngest opens its own database from the environment: point it at a fresh one.
    const env = fresh
      ? { DATABASE_URL: fresh.db.url }
      : { DATABASE_URL: undefined, LINKAGE_DATA_DIR: path.join(ctx.tmpDir, 'ingest-memory') };
    try {
      const sampler = rssSampler();
      const result = await withEnv(env, () => benchIngest({ sizeBytes: size, dir: ctx.tmpDir }));
      const verdict = rssVerdict(sampler.stop());
      return [
        rowOf(
          'ingest-memory',
          `${fresh ? 'postgresql' : 'pglite'}, in-process`,
          result.records,
          'records',
          result.seconds,
          {
            extra: {
              MB: Math.round(size / MB),
              rssStartMb: result.rssStartMb,
              rssMaxMb: result.rssMaxMb,
              // Newer benchIngest versions also say where the memory went (heap or buffers).
              ...pick(result, ['heapUsedMaxMb', 'arrayBuffersMaxMb']),
              ...verdict,
            },
          },
        ),
      ];
    } finally {
      await fresh?.dispose();
    }
  },
};
