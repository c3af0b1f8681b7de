import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@linkage/database';
import {
  applyPublishingGate,
  DEFAULT_PUBLISHING_POLICY,
  type GateRequest,
  type GateResult,
} from '@linkage/domain';
import { createFreshDatabase } from '@linkage/testing';
import { ReleasedCellLedger } from './released-cell-ledger.store';

const ROUNDS = 20;
const people = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `p${String(from + i).padStart(5, '0')}`);

/** A count over a population: the whole (100 people) and a lens three people short of it. */
const request = (members: string[]): GateRequest => ({
  cells: { n: { kind: 'count', value: members.length, population: 'matched' } },
  populations: { matched: { family: 'matched-users', members } },
});
const WHOLE = request(people(0, 100));
const LENS = request(people(3, 100));

/**
 * `checkAndRecord` decides a release against the DSA's ledger read inside its transaction, under
 * the DSA's advisory lock, and records it there: two releases of one DSA at once, from two
 * connection pools (two processes), never both pass the differencing check. On the real server
 * and on the embedded default (PGlite over the wire, where a second pool is what a second
 * `linkage` process gets).
 */
describe.each([
  ['PostgreSQL', 'server'],
  ['the embedded default', 'embedded'],
] as const)('the released-cell ledger under concurrent releases on %s', (_name, kind) => {
  let first: Database;
  let second: Database;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (kind === 'server') {
      const fresh = await createFreshDatabase('linkage_ledger_race');
      first = await openDatabase({ url: fresh.url });
      second = await openDatabase({ url: fresh.url });
      cleanup = fresh.drop;
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkage-ledger-race-'));
      const saved = process.env.DATABASE_URL;
      delete process.env.DATABASE_URL;
      try {
        first = await openDatabase({ embeddedDir: dir });
        // A pool on the server `first` runs for the folder: what another process connects to.
        second = await openDatabase({ url: first.url, max: 1 });
      } finally {
        if (saved) process.env.DATABASE_URL = saved;
      }
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000); // an embedded server start (initdb) on a loaded machine
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await cleanup?.();
  });

  /** As the analytics queries gate a release with something new in it. */
  const release = (ledger: ReleasedCellLedger, dsa: string, req: GateRequest, output: string) =>
    ledger.checkAndRecord<GateResult>(dsa, (state) => {
      const gated = applyPublishingGate(req, DEFAULT_PUBLISHING_POLICY, state);
      return {
        result: gated,
        release: {
          output,
          via: 'query',
          policyVersion: gated.policyVersion,
          populations: gated.released,
        },
      };
    });

  it(`releases exactly one of the whole and the lens asked at once, in ${ROUNDS} rounds and both orders`, async () => {
    const [a, b] = [new ReleasedCellLedger(first.sql), new ReleasedCellLedger(second.sql)];
    for (let round = 0; round < ROUNDS; round++) {
      const dsa = `DSA-race-${round}-${randomUUID()}`;
      const [whole, lens] =
        round % 2 === 0
          ? await Promise.all([release(a, dsa, WHOLE, 'whole'), release(b, dsa, LENS, 'lens')])
          : (
              await Promise.all([release(a, dsa, LENS, 'lens'), release(b, dsa, WHOLE, 'whole')])
            ).reverse();
      const published = [
        ...(whole.result.cells.n.published ? ['whole'] : []),
        ...(lens.result.cells.n.published ? ['lens'] : []),
      ];
      // Exactly one: whichever took the DSA's lock first; the other withheld by differencing.
      expect([round, published.length]).toEqual([round, 1]);
      expect([round, whole.recorded + lens.recorded]).toEqual([round, 1]);
      expect([round, (await a.history(dsa)).map((h) => h.output)]).toEqual([round, published]);
      const refused = published[0] === 'whole' ? lens : whole;
      expect(refused.result.suppressed).toEqual([
        { cell: 'n', kind: 'count', rule: 'differencing' },
      ]);
    }
  }, 180_000);

  it('records a repeat of what the DSA holds as nothing, and keeps each DSA to its own ledger', async () => {
    const ledger = new ReleasedCellLedger(first.sql);
    const [x, y] = [`DSA-x-${randomUUID()}`, `DSA-y-${randomUUID()}`];
    expect((await release(ledger, x, WHOLE, 'whole')).recorded).toBe(1);
    expect((await release(ledger, x, WHOLE, 'whole')).recorded).toBe(0);
    const forY = await release(new ReleasedCellLedger(second.sql), y, LENS, 'lens');
    expect(forY.result.cells.n.published).toBe(true);
    expect((await ledger.history(x)).map((h) => h.output)).toEqual(['whole']);
    expect((await ledger.history(y)).map((h) => h.output)).toEqual(['lens']);
  }, 60_000);
});
