import { COST_KEYS, costTable, loadUnitCosts } from './unit-costs';

describe('loadUnitCosts', () => {
  it('reads every row with a stable id', () => {
    const rows = loadUnitCosts();
    expect(rows).toHaveLength(83);
    expect(new Set(rows.map((r) => r.rowId)).size).toBe(83);
    expect(rows[0]).toMatchObject({ line: 2, costGbp: 49, year: '2022/23' });
    expect(rows[0].rowId).toBe(`2:${rows[0].activity}`);
  });
});

describe('costTable', () => {
  const table = costTable();

  it('defaults to 2022/23 and names its version', () => {
    expect(table.priceYear).toBe('2022/23');
    expect(table.version).toBe('nhs-unit-costs-2022/23-v1');
    expect(costTable('2022/23')).toBe(table);
  });

  it('prices every activity type', () => {
    for (const key of COST_KEYS) expect(table.entries[key]?.costGbp).toBeGreaterThan(0);
  });

  it.each([
    ['gp_appointment', 'face_to_face', 49, '2022/23'],
    ['gp_appointment', 'telephone', 20.27, '2022/23'],
    ['gp_appointment', 'online', 43.92, '2022/23'],
    ['inpatient_admission', 'elective', 6256, '2022/23'],
    ['inpatient_admission', 'emergency', 4719, '2022/23'],
    ['inpatient_admission', 'emergency_short_stay', 857, '2022/23'],
    ['outpatient_attendance', undefined, 217, '2022/23'],
    ['mental_health_contact', 'iapt', 135, '2022/23'],
    ['mental_health_contact', 'cmht', 266, '2022/23'],
    ['mental_health_contact', 'liaison', 334, '2022/23'],
    ['mental_health_contact', 'inpatient', 277, '2022/23'],
    ['ambulance_incident', 'conveyed', 417, '2022/23'],
    ['ambulance_incident', 'hear_and_treat', 67, '2022/23'],
    ['ae_attendance', 1, 273, '2023/24'],
    ['ae_attendance', 3, 67, '2013/14'],
    ['ae_attendance', 4, 46, '2013/14'],
  ] as const)('%s %s costs %d (price year %s)', (recordType, variant, cost, year) => {
    const entry = table.costOf(recordType, variant);
    expect(entry).toMatchObject({ costGbp: cost, year });
    expect(entry?.sourceRow).toContain(' | ');
    if (year !== '2022/23') expect(entry?.note).toContain(`price year ${year} used`);
  });

  it('says when a cost is a proxy', () => {
    expect(table.costOf('gp_appointment', 'telephone')?.note).toMatch(/proxy/);
    expect(table.costOf('gp_appointment', 'home_visit')?.note).toMatch(/no home-visit cost/);
    expect(table.costOf('nhs111_call')).toMatchObject({ costGbp: 8 });
  });

  it('uses team-level mental health costs where the year has them', () => {
    const t = costTable('2023/24');
    expect(t.costOf('mental_health_contact', 'cmht')).toMatchObject({
      costGbp: 280,
      year: '2023/24',
    });
    expect(t.costOf('mental_health_contact', 'crht')).toMatchObject({ costGbp: 338 });
    expect(costTable('2024/25').costOf('inpatient_admission', 'emergency')).toMatchObject({
      costGbp: 2709.82,
    });
  });

  it('has no figure for activities it does not price', () => {
    expect(table.costOf('inpatient_admission', 'maternity')).toBeUndefined();
    expect(table.costOf('death')).toBeUndefined();
    expect(table.costOf('constructor')).toBeUndefined();
  });
});
