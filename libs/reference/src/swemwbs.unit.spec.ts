import { swemwbsMetric } from './swemwbs';

describe('swemwbsMetric', () => {
  it.each([
    [7, 7],
    [14, 15.32],
    [21, 19.25],
    [29, 26.02],
    [35, 35],
  ])('raw %i -> metric %d', (raw, metric) => expect(swemwbsMetric(raw)).toBe(metric));

  it('rises with the raw score', () => {
    for (let raw = 8; raw <= 35; raw++)
      expect(swemwbsMetric(raw)).toBeGreaterThan(swemwbsMetric(raw - 1));
  });

  it.each([6, 36, 20.5, NaN])('refuses %d', (raw) =>
    expect(() => swemwbsMetric(raw)).toThrow(RangeError),
  );
});
