import { parseDate, YEAR_MS } from './dates';
import { conditionRecords, CLUSTER_MODELS, registerProbability } from './conditions';
import { samplePerson, type Person } from './population';
import { currentPostcodes } from './postcodes';

const endMs = (parseDate('2025-03-31') as number) + 86_400_000;
const startMs = endMs - 4 * YEAR_MS;
const ctx = { seed: 'conditions-test', startMs, endMs };
const postcodes = currentPostcodes();
const people: Person[] = Array.from({ length: 20_000 }, (_, i) =>
  samplePerson(
    { seed: ctx.seed, startMs, endMs, postcodes },
    i,
    `999${String(i).padStart(7, '0')}`,
  ),
);
const records = people.map((p) => conditionRecords(p, ctx, undefined));
const ageAtEnd = (p: Person) => (endMs - p.birthMs) / YEAR_MS;
const share = (filter: (p: Person) => boolean, cluster: string) => {
  const idx = people.map((p, i) => (filter(p) ? i : -1)).filter((i) => i >= 0);
  const on = idx.filter((i) => records[i].some((r) => r.fields.cluster === cluster)).length;
  return on / idx.length;
};

describe('condition registers (generator)', () => {
  it('gives the same records for the same seed and person', () => {
    expect(conditionRecords(people[7], ctx, undefined)).toEqual(records[7]);
  });

  it('keeps overall prevalence near published register levels (QOF 2022-23, adults)', () => {
    const all = () => true;
    expect(share(all, 'depression')).toBeGreaterThan(0.1);
    expect(share(all, 'depression')).toBeLessThan(0.2);
    expect(share(all, 'diabetes')).toBeGreaterThan(0.05);
    expect(share(all, 'diabetes')).toBeLessThan(0.11);
    expect(share(all, 'serious_mental_illness')).toBeGreaterThan(0.005);
    expect(share(all, 'serious_mental_illness')).toBeLessThan(0.02);
  });

  it('raises dementia steeply with age', () => {
    const under65 = share((p) => ageAtEnd(p) < 65, 'dementia');
    const at65to74 = share((p) => ageAtEnd(p) >= 65 && ageAtEnd(p) < 75, 'dementia');
    const over85 = share((p) => ageAtEnd(p) >= 85, 'dementia');
    expect(under65).toBeLessThan(0.005);
    expect(at65to74).toBeGreaterThan(under65 * 4);
    expect(over85).toBeGreaterThan(at65to74 * 4);
  });

  it('raises COPD and SMI with deprivation and with hidden need', () => {
    const deprived = (p: Person) => p.residences[p.residences.length - 1].home.modelDecile <= 2;
    const affluent = (p: Person) => p.residences[p.residences.length - 1].home.modelDecile >= 9;
    expect(share(deprived, 'copd')).toBeGreaterThan(share(affluent, 'copd') * 1.5);
    expect(share((p) => p.need > 2, 'serious_mental_illness')).toBeGreaterThan(
      share((p) => p.need < 0.5, 'serious_mental_illness') * 3,
    );
    const model = CLUSTER_MODELS.copd;
    const f = { age: 70, sex: 'M' as const, need: 1 };
    expect(registerProbability(model, { ...f, imdDecile: 1 })).toBeCloseTo(
      registerProbability(model, { ...f, imdDecile: 10 }) * (1.6 / 0.4),
    );
  });

  it('records pregnancies for women of 16-44 only, and never resolves before recording', () => {
    const faults: string[] = [];
    people.forEach((p, i) => {
      for (const r of records[i]) {
        const age = (r.occurredMs - p.birthMs) / YEAR_MS;
        if (r.fields.cluster === 'pregnancy' && (p.sex !== 'F' || age < 16 || age >= 45))
          faults.push(`pregnancy ${i}`);
        if (
          r.fields.resolved_at !== undefined &&
          Date.parse(String(r.fields.resolved_at)) < r.occurredMs
        )
          faults.push(`resolved before recorded ${i}`);
        if (r.occurredMs >= endMs) faults.push(`after the window ${i}`);
      }
    });
    expect(faults).toEqual([]);
    expect(records.flat().some((r) => r.fields.cluster === 'pregnancy')).toBe(true);
  });

  it('records nothing after death', () => {
    const deathMs = startMs + YEAR_MS;
    for (const p of people.slice(0, 2000))
      for (const r of conditionRecords(p, ctx, deathMs)) {
        expect(r.occurredMs).toBeLessThan(deathMs);
        if (r.fields.resolved_at !== undefined)
          expect(Date.parse(String(r.fields.resolved_at))).toBeLessThan(deathMs);
      }
  });
});
