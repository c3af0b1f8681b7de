import { CHANNELS, MEASURES, annualRate, channelMultipliers, measuresOfRecord } from './rates';

const reference = { age: 45, sex: 'F' as const, imdDecile: 5, need: 1 };

describe('rate model', () => {
  it('gives plausible annual rates for an average adult', () => {
    expect(annualRate('gp', reference)).toBeGreaterThan(3);
    expect(annualRate('gp', reference)).toBeLessThan(7);
    expect(annualRate('ae', reference)).toBeGreaterThan(0.2);
    expect(annualRate('ae', reference)).toBeLessThan(0.5);
    const emergency =
      annualRate('emergency_physical', reference) +
      annualRate('emergency_mental_health', reference);
    expect(emergency).toBeGreaterThan(0.05);
    expect(emergency).toBeLessThan(0.15);
  });

  it.each(CHANNELS)('%s rises with deprivation and with need', (channel) => {
    expect(annualRate(channel, { ...reference, imdDecile: 1 })).toBeGreaterThan(
      annualRate(channel, { ...reference, imdDecile: 10 }),
    );
    expect(annualRate(channel, { ...reference, need: 2 })).toBeGreaterThan(
      annualRate(channel, reference),
    );
  });

  it('multiplies each channel by the factors of every measure that includes it', () => {
    const m = channelMultipliers({ crisis: 0.7, mental_health: 0.5, ae: 0.8 });
    expect(m.mh_crisis).toBeCloseTo(0.35);
    expect(m.mh_routine).toBeCloseTo(0.5);
    expect(m.emergency_mental_health).toBeCloseTo(0.7);
    expect(m.ae).toBeCloseTo(0.8);
    expect(m.gp).toBe(1);
  });

  it.each([
    [{ record_type: 'mental_health_contact', team: 'crht' }, ['mental_health', 'crisis']],
    [{ record_type: 'mental_health_contact', team: 'liaison' }, ['mental_health', 'crisis']],
    [{ record_type: 'mental_health_contact', team: 'cmht' }, ['mental_health']],
    [
      { record_type: 'inpatient_admission', method: 'emergency', specialty: 'mental_health' },
      ['emergency_admission', 'crisis'],
    ],
    [
      { record_type: 'inpatient_admission', method: 'emergency', specialty: 'cardiology' },
      ['emergency_admission'],
    ],
    [
      { record_type: 'inpatient_admission', method: 'elective', specialty: 'ent' },
      ['elective_admission'],
    ],
    [{ record_type: 'ae_attendance' }, ['ae']],
    [{ record_type: 'registration' }, []],
  ])('classifies %j as %j', (record, measures) => {
    expect(measuresOfRecord(record)).toEqual(measures);
  });

  it('defines every measure by channels that exist', () => {
    for (const { channels } of Object.values(MEASURES)) {
      for (const c of channels) expect(CHANNELS).toContain(c);
    }
  });
});
