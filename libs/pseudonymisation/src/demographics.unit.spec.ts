import { AGE_BANDS, ageBand, yearOfBirth } from './demographics';

describe('yearOfBirth', () => {
  it('keeps only the year', () => expect(yearOfBirth('1983-07-14')).toBe(1983));
  it('refuses anything but YYYY-MM-DD', () =>
    expect(() => yearOfBirth('14/07/1983')).toThrow(RangeError));
});

describe('ageBand', () => {
  const at = new Date('2024-06-01T00:00:00Z');
  it.each([
    [2024, '0-15'],
    [2009, '0-15'],
    [2008, '16-24'],
    [2000, '16-24'],
    [1999, '25-34'],
    [1990, '25-34'],
    [1989, '35-44'],
    [1979, '45-54'],
    [1969, '55-64'],
    [1959, '65-74'],
    [1949, '75+'],
    [1950, '65-74'],
    [1920, '75+'],
    [2030, '0-15'],
  ])('born %i -> %s', (year, band) => expect(ageBand(year, at)).toBe(band));

  it('lists the bands in order', () => {
    expect(AGE_BANDS).toEqual([
      '0-15',
      '16-24',
      '25-34',
      '35-44',
      '45-54',
      '55-64',
      '65-74',
      '75+',
    ]);
  });
});
