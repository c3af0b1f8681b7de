import {
  applyPublishingGate,
  DEFAULT_PUBLISHING_POLICY,
  EMPTY_RELEASE_LEDGER,
  evolveReleaseLedger,
  type GateRequest,
  type ReleasedPopulation,
  type ReleaseLedgerState,
} from '@linkage/domain';
import { GateMemo, holdsAll } from './gate-memo';

const tags = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `t${String(from + i).padStart(4, '0')}`);

/** A site of 40 people with its visits, a need of 40 others beside it in one line, a small site. */
function request(sitePeople: string[]): GateRequest {
  return {
    cells: {
      'site/people': { kind: 'count', value: sitePeople.length, population: 'site' },
      'site/visits': { kind: 'count', value: 130, population: 'site' },
      'need/people': { kind: 'count', value: 40, population: 'need' },
      'small/people': { kind: 'count', value: 3, population: 'small' },
    },
    lines: [['site/people', 'need/people']],
    populations: {
      site: { family: 'site:A', members: sitePeople },
      need: { family: 'need:B', members: tags(100, 140) },
      small: { family: 'site:C', members: tags(200, 203) },
    },
  };
}

function holding(...populations: ReleasedPopulation[]): ReleaseLedgerState {
  return evolveReleaseLedger(EMPTY_RELEASE_LEDGER, {
    type: 'PopulationsReleased',
    schemaVersion: 1,
    data: {
      dsa: 'DSA-T',
      output: 'GET /v1/cohort',
      via: 'query',
      policyVersion: DEFAULT_PUBLISHING_POLICY.version,
      populations,
      releasedAt: '2026-01-01T00:00:00.000Z',
    },
  });
}

describe('GateMemo', () => {
  it('decides exactly as the gate, for an empty ledger and for one that differences', () => {
    const memo = new GateMemo(DEFAULT_PUBLISHING_POLICY);
    const asked = request(tags(0, 40));
    const threeApart = holding({ family: 'site:A', members: tags(0, 43) });
    for (const ledger of [EMPTY_RELEASE_LEDGER, threeApart]) {
      expect(memo.apply(asked, ledger)).toEqual(
        applyPublishingGate(asked, DEFAULT_PUBLISHING_POLICY, ledger),
      );
    }
    // Secondary suppression follows the withheld site: the line keeps no single hidden cell.
    expect(memo.apply(asked, threeApart).suppressed).toEqual([
      { cell: 'site/people', kind: 'count', rule: 'differencing' },
      { cell: 'site/visits', kind: 'count', rule: 'differencing' },
      { cell: 'need/people', kind: 'count', rule: 'secondary' },
      { cell: 'small/people', kind: 'count', rule: 'small_count' },
    ]);
  });

  it('gives a repeat of the same request against the same ledger state the same decision', () => {
    const memo = new GateMemo(DEFAULT_PUBLISHING_POLICY);
    const asked = request(tags(0, 40));
    const first = memo.apply(asked, EMPTY_RELEASE_LEDGER);
    expect(memo.apply(asked, EMPTY_RELEASE_LEDGER)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.suppressed)).toBe(true);
  });

  it('never applies a decision to another ledger: a DSA holding a close population is refused', () => {
    const memo = new GateMemo(DEFAULT_PUBLISHING_POLICY);
    const asked = request(tags(0, 40));
    const forNewcomer = memo.apply(asked, EMPTY_RELEASE_LEDGER);
    expect(forNewcomer.cells['site/people']).toEqual({ kind: 'count', published: true, value: 40 });
    const forHolder = memo.apply(asked, holding({ family: 'site:A', members: tags(0, 41) }));
    expect(forHolder.cells['site/people']).toEqual({
      kind: 'count',
      published: false,
      rule: 'differencing',
    });
    // The newcomer's decision is unchanged by the holder's.
    expect(memo.apply(asked, EMPTY_RELEASE_LEDGER)).toBe(forNewcomer);
  });

  it('decides a new request object afresh even when it asks the same', () => {
    const memo = new GateMemo(DEFAULT_PUBLISHING_POLICY);
    const ledger = holding({ family: 'site:A', members: tags(0, 45) });
    const published = memo.apply(request(tags(0, 40)), EMPTY_RELEASE_LEDGER);
    const withheld = memo.apply(request(tags(0, 40)), ledger);
    expect(published.suppressed.map((s) => s.rule)).not.toContain('differencing');
    expect(withheld.suppressed.map((s) => s.rule)).toContain('differencing');
  });
});

describe('holdsAll', () => {
  const site = { family: 'site:A', members: tags(0, 40) };
  it('is true only when the ledger holds every population, members and family alike', () => {
    const ledger = holding(site);
    expect(holdsAll(ledger, [site])).toBe(true);
    expect(holdsAll(ledger, [])).toBe(true);
    expect(holdsAll(ledger, [{ family: 'site:A', members: tags(0, 41) }])).toBe(false);
    expect(holdsAll(ledger, [{ family: 'site:B', members: tags(0, 40) }])).toBe(false);
    expect(holdsAll(EMPTY_RELEASE_LEDGER, [site])).toBe(false);
  });
  it('reads members in any order as the same population', () => {
    expect(
      holdsAll(holding(site), [{ family: 'site:A', members: [...site.members].reverse() }]),
    ).toBe(true);
  });
});
