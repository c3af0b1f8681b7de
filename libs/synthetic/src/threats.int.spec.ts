import { simulatePopulation } from './in-memory';
import { addMonths } from './dates';

const DAY_MS = 86_400_000;
const rates = { mh_crisis: 0.5, emergency_mental_health: 0.1, ae: 1, gp: 4, nhs111: 0.5 };

/** Events of a measure per person-year among users, in [from, to) months around the index. */
function userRate(
  pop: ReturnType<typeof simulatePopulation>,
  measure: 'crisis' | 'ae' | 'gp',
  from: number,
  to: number,
): number {
  let events = 0;
  let years = 0;
  for (const p of pop.persons) {
    if (p.indexDay === null) continue;
    const a = Math.floor(addMonths(p.indexDay * DAY_MS, from) / DAY_MS);
    const b = Math.floor(addMonths(p.indexDay * DAY_MS, to) / DAY_MS);
    events += p.days[measure].filter((d) => d >= a && d < b).length;
    years += (b - a) / 365.25;
  }
  return events / years;
}

describe('threats to a naive design', () => {
  const base = {
    cohort: 400,
    persons: 800,
    seed: 'threats',
    effects: { crisis: 1, ae: 1 },
    model: { annualRates: rates, mortality: false },
  };
  const plain = simulatePopulation(base);
  const dipped = simulatePopulation({ ...base, threats: { dipShare: 1 } });

  it('pre-index dip: crisis and A&E rise in the weeks before the index date only', () => {
    // Before the episode: the very same draws. After the index date: the baseline rates again
    // (new draws, as the episode used up some of the channel's random numbers).
    expect(userRate(dipped, 'crisis', -12, -4)).toBe(userRate(plain, 'crisis', -12, -4));
    for (const m of ['crisis', 'ae'] as const) {
      const ratio = userRate(dipped, m, 0, 12) / userRate(plain, m, 0, 12);
      expect(ratio).toBeGreaterThan(0.9);
      expect(ratio).toBeLessThan(1.1);
    }
    // In the last 3 months before the index date: several times higher.
    expect(userRate(dipped, 'crisis', -3, 0)).toBeGreaterThan(2 * userRate(plain, 'crisis', -3, 0));
    expect(userRate(dipped, 'ae', -3, 0)).toBeGreaterThan(1.5 * userRate(plain, 'ae', -3, 0));
    // GP is not touched by the dip.
    expect(userRate(dipped, 'gp', -3, 0)).toBeCloseTo(userRate(plain, 'gp', -3, 0), 5);
  });

  it('keeps the truth: the dip is before the index date, so the effect is still zero', () => {
    for (const t of Object.values(dipped.truth)) expect(t.trueEffect).toBe(0);
  });

  it('reports a truth for every measure: zero where nothing was planted', () => {
    const treated = simulatePopulation({ ...base, effects: { crisis: 0.5 } });
    expect(treated.truth.crisis.trueEffect).toBeCloseTo(0.3, 10);
    expect(treated.truth.mental_health.trueEffect).toBeCloseTo(0.25, 10);
    expect(treated.truth.gp.trueEffect).toBe(0);
    expect(treated.truth.nhs111.trueEffect).toBe(0);
    expect(treated.truth.elective_admission.factor).toBe(1);
  });

  it('drift: need changes over time (a person-level random walk), is deterministic', () => {
    const drifting = { ...base, model: { mortality: false }, threats: { driftSd: 0.1 } };
    const a = simulatePopulation(drifting);
    expect(simulatePopulation(drifting)).toEqual(a);
    const still = simulatePopulation({ ...drifting, threats: { driftSd: 0 } });
    // Same people, same draws per person, but different event days once need drifts.
    expect(a.persons[0].days.gp).not.toEqual(still.persons[0].days.gp);
  });

  it('rejects an out-of-range share or SD naming the field', () => {
    expect(() => simulatePopulation({ ...base, threats: { dipShare: 1.5 } })).toThrow(
      expect.objectContaining({ detail: expect.objectContaining({ field: '/threats/dipShare' }) }),
    );
    expect(() => simulatePopulation({ ...base, threats: { driftSd: -1 } })).toThrow(
      expect.objectContaining({ detail: expect.objectContaining({ field: '/threats/driftSd' }) }),
    );
  });
});
