import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GenerateOptions, generatePopulation } from './generate-population';
import { simulatePopulation } from './in-memory';

// The generator's exact output is what the validity studies and every published figure rest on,
// so a speed-up must not move a single byte. These digests were computed with the generator as it
// was before the fifth pass's speed work (main at aaa740f) and are pinned here: any change to an
// extract, the dirt ledger, the manifest (with its segment truth) or the in-memory population
// fails this test. If the output is changed on purpose, recompute them and say why in the commit.
const OPTION_SETS: Record<'ndjson' | 'csv', GenerateOptions> = {
  // The demo's threats, with dirt raised so every rejection kind is planted in a small population.
  ndjson: {
    cohort: 80,
    threats: { dipShare: 0.25, driftSd: 0.05 },
    dirt: { wrong_item_count: 0.1, invalid_postcode: 0.02 },
  },
  // Every other option away from its default.
  csv: {
    cohort: 40,
    persons: 300,
    years: 3,
    format: 'csv',
    endDate: '2024-06-30',
    effects: { crisis: 0.5, gp: 1.2 },
    dirt: {
      not_json: 0.02,
      duplicates: 0.05,
      no_nhs_number: 0.3,
      date_in_future: 0.03,
      required: 0.02,
    },
  },
};

const GOLDEN: Record<string, Record<string, string>> = {
  'linkage/ndjson': {
    'cipha.ndjson': '8d3bc24342a10b91626a260ea05bfdb52de287d5e8efa92575e7ae0079936c1d',
    'dirt-ledger.jsonl': '9094fc69523b878b05726742388e721e926f1fc30bfaf7c8b4cfc3de1dad460f',
    'liferooms.ndjson': 'b817b62fc68eb6f7998d949e969b572299d23a13d850bb81077f9527bfc05acc',
    'manifest.json': '4af202c0363d91128b3b11029a8a99189600f07be7349c10bf465ab8cccb4a56',
    simulatePopulation: '81cb24ffd2ad0396bc1bb08759de33a8687319287f5d9e9d8369635add8eb212',
  },
  'linkage/csv': {
    'cipha.csv': '7622f90bbe2d81f892f0e9d91fe54c4565038c3a2dcf927437c87d63b5e42943',
    'dirt-ledger.jsonl': '655c83f388b2cc548f36ada6a142f2bc8397ba8e43f72c254f7d3cdd9dd53879',
    'liferooms.csv': '70d474a67025f36dd11a2be6e1e19686a983cd3658f4b0af453724d2ad8e3a0f',
    'manifest.json': 'a9a573ae23e74f73c91aa968afa215f91da8fdac89af79c5a5dc56191b18c2bd',
    simulatePopulation: '2463d51a7c48dc838a4408180ba500938223f0b201113d1b2628838f80b18e6f',
  },
  'golden-2/ndjson': {
    'cipha.ndjson': '93c96872a489f961488382516d6955f9676f25a18bdfa2973c83280a94c6fdfb',
    'dirt-ledger.jsonl': '241b1e4fd3012839f8cfd1022a8f969a88df0e5fb1fe7587d77ac1609ca2d084',
    'liferooms.ndjson': 'cfb23e87ef914c772e14b14dec5f0ef31e1e5f53b0ccd3152b77515890d4bce7',
    'manifest.json': '3dd794eec8bea149beb6073666ec4b8503b8e8f159a541be1a574700e80257f4',
    simulatePopulation: '80f99517395864686d9b342fb6213da1e6ec006ca0f2870f88c96580750df245',
  },
  'golden-2/csv': {
    'cipha.csv': 'd33d84326850f8d6baf42759ad1a5187e884a30c1ebb828f9ed78efd1bc835da',
    'dirt-ledger.jsonl': '04b1c01e4415bfd1fe389d75ba4168c9364d52e475a71419eec215a78a75cc79',
    'liferooms.csv': 'b678cb019a40b22289b72b6c8768680907f71082c046fb91d0db7b4ea5e4862f',
    'manifest.json': 'e6e06676e0ed27fc607590b6c233768a67511e4d64dd34986ed6d6988d5aabc6',
    simulatePopulation: 'aeb91e9d22859981ecaa9741c94a07fd8b71d0e17a37ac8e66f1cb98286489fb',
  },
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

const threadsBefore = process.env.LINKAGE_GENERATE_THREADS;
afterEach(() => {
  if (threadsBefore === undefined) delete process.env.LINKAGE_GENERATE_THREADS;
  else process.env.LINKAGE_GENERATE_THREADS = threadsBefore;
});

/**
 * The digest of every file the generator wrote, and of the in-memory population. `thread`: people
 * drawn on a thread of their own ('1') or on this one ('0', the default).
 */
async function digests(
  options: GenerateOptions,
  thread: '0' | '1' = '0',
): Promise<Record<string, string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-golden-'));
  folders.push(dir);
  process.env.LINKAGE_GENERATE_THREADS = thread;
  await generatePopulation({ ...options, progress: 'off' }, dir);
  const out: Record<string, string> = {};
  for (const file of fs.readdirSync(dir).sort())
    out[file] = sha256(fs.readFileSync(path.join(dir, file)));
  out.simulatePopulation = sha256(JSON.stringify(simulatePopulation(options)));
  return out;
}

describe('the generator output is byte-identical to the pinned golden digests', () => {
  for (const seed of ['linkage', 'golden-2'])
    for (const [name, options] of Object.entries(OPTION_SETS))
      for (const [thread, where] of [
        ['0', 'on this thread'],
        ['1', 'on a simulation thread'],
      ] as const)
        it(`seed ${seed}, ${name} options, people drawn ${where}: every file and the in-memory population`, async () => {
          expect(await digests({ ...options, seed }, thread)).toEqual(GOLDEN[`${seed}/${name}`]);
        });

  it('the digests do tell outputs apart: another seed or one option changed moves them', async () => {
    const other = await digests({ ...OPTION_SETS.ndjson, seed: 'golden-3' });
    const golden = GOLDEN['linkage/ndjson'];
    for (const file of Object.keys(golden)) expect(other[file]).not.toBe(golden[file]);

    // One dirt share changed: the extracts and the ledger move, and so does the manifest.
    const dirtier = await digests({
      ...OPTION_SETS.ndjson,
      seed: 'linkage',
      dirt: { ...OPTION_SETS.ndjson.dirt, not_json: 0.02 },
    });
    for (const file of ['cipha.ndjson', 'liferooms.ndjson', 'dirt-ledger.jsonl', 'manifest.json'])
      expect(dirtier[file]).not.toBe(golden[file]);
    // The in-memory population has no dirt: it must not move.
    expect(dirtier.simulatePopulation).toBe(golden.simulatePopulation);
  });
});
