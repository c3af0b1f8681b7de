import { snakeCase, SUPPRESSED_CSV_MARK, toCsv } from './csv';

describe('toCsv', () => {
  it('writes snake_case columns in first-seen order', () => {
    expect(toCsv([{ nUsers: 10, ci95_low: 1 }, { smdAfter: 0.1 }]).split('\n')[0]).toBe(
      'n_users,ci95_low,smd_after',
    );
  });

  it('marks a withheld cell (null) and leaves a cell that does not apply (empty) empty', () => {
    expect(toCsv([{ people: null, count: 10, label: '' }])).toBe(
      `people,count,label\n${SUPPRESSED_CSV_MARK},10,\n`,
    );
  });

  it('leaves a column missing from a row empty', () => {
    expect(toCsv([{ a: 1 }, { b: 2 }])).toBe('a,b\n1,\n,2\n');
  });
});

describe('snakeCase', () => {
  it.each([
    ['nUsers', 'n_users'],
    ['meanUsersBefore', 'mean_users_before'],
    ['ratePerPersonYear', 'rate_per_person_year'],
    ['already_snake', 'already_snake'],
    ['imd_decile', 'imd_decile'],
    ['ci95', 'ci95'],
  ])('%s -> %s', (key, expected) => expect(snakeCase(key)).toBe(expected));
});
