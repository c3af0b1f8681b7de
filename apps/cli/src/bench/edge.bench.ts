import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Source } from '@linkage/contracts';
import { dataDir } from '@linkage/common';
import { Pseudonymiser, loadPseudonymisationKey } from '@linkage/pseudonymisation';
import { loadPostcodeLookup } from '@linkage/reference';
import { ingestRecord } from '../../../ingest/src';
import { rowOf, type BenchRow } from './bench-report';
import { secondsSince, type BenchContext, type BenchScenario } from './bench-context';

async function firstLines(file: string, max: number): Promise<string[]> {
  const lines: string[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (lines.length >= max) break;
    if (line.trim()) lines.push(line);
  }
  rl.close();
  return lines;
}

/**
 * Records/s through the ingest edge alone (parse, validate, pseudonymise, map to the canonical
 * event), on generator output held in memory: no I/O is timed.
 */
export const edgeBench: BenchScenario = {
  name: 'edge',
  description:
    'records/s through ingestRecord (parse + validate + pseudonymise) on generator output',
  sizeKind: 'count',
  defaultSize: 200_000,
  sizeMeaning: 'records per source (at most what the default population holds)',
  async run(size: number, ctx: BenchContext): Promise<BenchRow[]> {
    const { dir, manifest } = await ctx.population();
    const pseudonymiser = new Pseudonymiser(
      loadPseudonymisationKey({ dataDir: dataDir(), allowDemoKey: false }),
    );
    const postcodes = loadPostcodeLookup();
    const rows: BenchRow[] = [];
    for (const source of ['cipha', 'liferooms'] as Source[]) {
      const lines = await firstLines(path.join(dir, manifest.files[source]), size);
      const now = new Date();
      let accepted = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < lines.length; i++) {
        const result = ingestRecord(source, lines[i], {
          pseudonymiser,
          postcodes,
          receivedAt: now,
          now,
          ingestRunId: 'bench',
          line: i + 1,
        });
        if (result.ok) accepted++;
      }
      const seconds = secondsSince(start);
      rows.push(
        rowOf('edge', source, lines.length, 'records', seconds, {
          extra: { rejected: lines.length - accepted },
        }),
      );
    }
    return rows;
  },
};
