import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_COHORT, generatePopulation } from '@linkage/synthetic';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';

/** Time to write a synthetic population (cohort `size`, 5 non-users each) as NDJSON. */
export const generateBench: BenchScenario = {
  name: 'generate',
  description:
    "the generator's default population (6,000 users + 30,000 non-users) into a temp dir",
  sizeKind: 'count',
  defaultSize: DEFAULT_COHORT,
  sizeMeaning: 'cohort (Life Rooms users; population = 6 x cohort)',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const dir = path.join(ctx.tmpDir, `generate-${size}`);
    const start = process.hrtime.bigint();
    const manifest = await generatePopulation({ cohort: size, progress: 'off' }, dir);
    const seconds = secondsSince(start);
    const records = manifest.counts.liferooms.written + manifest.counts.cipha.written;
    const bytes = ['liferooms', 'cipha'].reduce(
      (sum, s) => sum + fs.statSync(path.join(dir, manifest.files[s as 'cipha'])).size,
      0,
    );
    fs.rmSync(dir, { recursive: true, force: true });
    return [
      rowOf('generate', 'ndjson', records, 'records', seconds, {
        extra: { persons: manifest.population.persons, MB: Math.round(bytes / 1024 ** 2) },
      }),
    ];
  },
};
