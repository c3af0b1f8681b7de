import fc from 'fast-check';
import { isValidNhsNumber, nhsCheckDigit, normaliseNhsNumber } from './nhs-number';

// Nine digits whose check digit is not 10, completed with their check digit.
const validNhsNumber = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 })
  .map((d) => d.join(''))
  .filter((nine) => nhsCheckDigit(nine) !== undefined)
  .map((nine) => `${nine}${nhsCheckDigit(nine)}`);

describe('isValidNhsNumber', () => {
  it.each(['9994765914', '999 476 5914', '999-476-5914', '9999999999', '9990232148'])(
    'accepts %s',
    (n) => expect(isValidNhsNumber(n)).toBe(true),
  );

  it.each([
    ['a wrong check digit', '9994765913'],
    ['nine digits', '999476591'],
    ['eleven digits', '99947659140'],
    ['letters', '99947659A4'],
    ['empty', ''],
    ['check value 10', '1000000010'],
  ])('rejects %s', (_why, n) => expect(isValidNhsNumber(n)).toBe(false));

  it('accepts every number built with its check digit, with or without spaces', () => {
    fc.assert(
      fc.property(validNhsNumber, (n) => {
        expect(isValidNhsNumber(n)).toBe(true);
        expect(isValidNhsNumber(`${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`)).toBe(true);
      }),
    );
  });

  it('catches every single-digit change', () => {
    fc.assert(
      fc.property(
        validNhsNumber,
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        (n, position, delta) => {
          const digit = (Number(n[position]) + delta) % 10;
          const changed = `${n.slice(0, position)}${digit}${n.slice(position + 1)}`;
          expect(isValidNhsNumber(changed)).toBe(false);
        },
      ),
    );
  });

  it('never accepts a number whose check value is 10', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 })
          .map((d) => d.join('')),
        fc.integer({ min: 0, max: 9 }),
        (nine, last) => {
          fc.pre(nhsCheckDigit(nine) === undefined);
          expect(isValidNhsNumber(`${nine}${last}`)).toBe(false);
        },
      ),
    );
  });
});

describe('normaliseNhsNumber', () => {
  it('strips spaces and hyphens only', () => {
    expect(normaliseNhsNumber(' 999 476-5914 ')).toBe('9994765914');
    expect(normaliseNhsNumber('94a')).toBe('94a');
  });
});
