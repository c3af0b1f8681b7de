import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase, type Database } from '@linkage/database';
import { createFreshDatabase } from '@linkage/testing';
import { generatePopulation, type Manifest } from '@linkage/synthetic';
import type { BenchRow } from './bench-report';

/** A database a scenario runs on, dropped (or its folder removed) by `dispose`. */
export interface BenchDatabase {
  kind: 'postgresql' | 'pglite';
  db: Database;
  dispose(): Promise<void>;
}

/** What every scenario gets: a scratch folder and a shared synthetic population. */
export interface BenchContext {
  /** Scratch folder of this run, removed at the end. */
  tmpDir: string;
  /**
   * The generator's default population (NDJSON), written once per run and shared by the
   * scenarios that read source extracts.
   */
  population(): Promise<{ dir: string; manifest: Manifest }>;
  /** A fresh database on the real PostgreSQL (`DATABASE_URL`), or undefined when none is set. */
  freshPostgresql(): Promise<BenchDatabase | undefined>;
  /** A fresh embedded PGlite database under the scratch folder. */
  freshPglite(): Promise<BenchDatabase>;
}

/** A scenario: one function, run by `linkage bench`, returning its figures. */
export interface BenchScenario {
  name: string;
  description: string;
  sizeKind: 'count' | 'bytes';
  defaultSize: number;
  /** What `size` counts, for `--help`. */
  sizeMeaning: string;
  run(size: number, ctx: BenchContext): Promise<BenchRow[]>;
}

/**
 * Benchmarks use synthetic data only, so a random per-process key is fine when none is
 * configured (and keeps the bench from touching the demo key under ./.data).
 */
export function ensureBenchKey(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PSEUDONYMISATION_KEY || env.PSEUDONYMISATION_KEY_FILE) return false;
  env.PSEUDONYMISATION_KEY = randomBytes(32).toString('hex');
  env.PSEUDONYMISATION_KEY_ID = env.PSEUDONYMISATION_KEY_ID ?? 'bench';
  return true;
}

/** Opens the shared bench context; `close()` removes the scratch folder. */
export function openBenchContext(): BenchContext & { close(): void } {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-bench-'));
  let population: Promise<{ dir: string; manifest: Manifest }> | undefined;
  let pgliteCount = 0;
  return {
    tmpDir,
    population() {
      population ??= (async () => {
        const dir = path.join(tmpDir, 'population');
        const manifest = await generatePopulation({ progress: 'off' }, dir);
        return { dir, manifest };
      })();
      return population;
    },
    async freshPostgresql() {
      if (!process.env.DATABASE_URL) return undefined;
      const fresh = await createFreshDatabase('linkage_bench');
      const db = await openDatabase({ url: fresh.url });
      return {
        kind: 'postgresql',
        db,
        dispose: async () => {
          await db.close();
          await fresh.drop();
        },
      };
    },
    async freshPglite() {
      const dir = path.join(tmpDir, `pglite-${++pgliteCount}`);
      // openDatabase prefers DATABASE_URL over the embedded default: hide it while opening.
      const saved = process.env.DATABASE_URL;
      delete process.env.DATABASE_URL;
      let db: Database;
      try {
        db = await openDatabase({ embeddedDir: dir, max: 1 });
      } finally {
        if (saved !== undefined) process.env.DATABASE_URL = saved;
      }
      return {
        kind: 'pglite',
        db,
        dispose: async () => {
          await db.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    close() {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
