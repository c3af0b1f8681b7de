import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEMO_THREATS, generatePopulation, type Manifest } from '@linkage/synthetic';
import type { DemoOptions } from './demo-run';

/** Where the demo keeps its generated source files. */
export function demoSourceDir(dir: string): string {
  return path.join(dir, 'demo', 'source');
}

/** Generates the default population once; a later demo with the same settings reuses it. */
export async function generate(dir: string, options: DemoOptions): Promise<Manifest> {
  const out = demoSourceDir(dir);
  const manifestFile = path.join(out, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const existing = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    const p = existing.parameters;
    const threats = p.threats ?? { dipShare: 0, driftSd: 0 };
    if (
      p.cohort === Number(options.cohort) &&
      p.seed === options.seed &&
      threats.dipShare === DEMO_THREATS.dipShare &&
      threats.driftSd === DEMO_THREATS.driftSd
    )
      return existing;
  }
  fs.mkdirSync(out, { recursive: true });
  // The demo population carries both threats to a naive design (pre-index dip, drifting need).
  return generatePopulation(
    { cohort: Number(options.cohort), seed: options.seed, threats: DEMO_THREATS },
    out,
  );
}
