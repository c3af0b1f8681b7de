import fc from 'fast-check';
import { ValidationError } from '@linkage/common';
import { normalisePostcode, tryNormalisePostcode } from './postcode';

const letter = fc.constantFrom(...'ABCDEFGHIJKLMNOPRSTUWYZ'.split(''));
const digit = fc.integer({ min: 0, max: 9 }).map(String);
// Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.
const outward = fc.oneof(
  fc.tuple(letter, digit).map((p) => p.join('')),
  fc.tuple(letter, digit, digit).map((p) => p.join('')),
  fc.tuple(letter, letter, digit).map((p) => p.join('')),
  fc.tuple(letter, letter, digit, digit).map((p) => p.join('')),
  fc.tuple(letter, digit, letter).map((p) => p.join('')),
  fc.tuple(letter, letter, digit, letter).map((p) => p.join('')),
);
const inward = fc.tuple(digit, letter, letter).map((p) => p.join(''));
const postcode = fc.tuple(outward, inward);

// The same postcode with random case and spacing.
function scramble(text: string, lower: boolean[], spaces: number[]): string {
  let out = '';
  [...text].forEach((ch, i) => {
    out +=
      (lower[i % lower.length] ? ch.toLowerCase() : ch) +
      ' '.repeat(spaces[i % spaces.length] ?? 0);
  });
  return out;
}

describe('normalisePostcode', () => {
  it.each([
    ['l92af', { postcode: 'L9 2AF', sector: 'L9 2', district: 'L9' }],
    ['L9 2AF', { postcode: 'L9 2AF', sector: 'L9 2', district: 'L9' }],
    [' ch41  1aa ', { postcode: 'CH41 1AA', sector: 'CH41 1', district: 'CH41' }],
    ['sw1a1aa', { postcode: 'SW1A 1AA', sector: 'SW1A 1', district: 'SW1A' }],
    ['W1A 0AX', { postcode: 'W1A 0AX', sector: 'W1A 0', district: 'W1A' }],
  ])('normalises %s', (input, expected) => expect(normalisePostcode(input)).toEqual(expected));

  it.each(['', 'L9', '92AF', 'L9 2A', 'LLL9 2AF', 'L9 2AF X', 'L9-2AF', '12345'])(
    'rejects %j without echoing it',
    (input) => {
      expect(tryNormalisePostcode(input)).toBeUndefined();
      try {
        normalisePostcode(input);
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).detail.reason).toBe('invalid_postcode');
        if (input.length > 2) expect((error as Error).message).not.toContain(input);
      }
    },
  );

  it('is free of case and spacing, and idempotent', () => {
    fc.assert(
      fc.property(
        postcode,
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1 }),
        ([out, inw], lower, spaces) => {
          const canonical = normalisePostcode(`${out} ${inw}`);
          const scrambled = normalisePostcode(scramble(`${out}${inw}`, lower, spaces));
          expect(scrambled).toEqual(canonical);
          expect(normalisePostcode(canonical.postcode)).toEqual(canonical);
        },
      ),
    );
  });

  it('derives sector and district from the outward code and inward digit', () => {
    fc.assert(
      fc.property(postcode, ([out, inw]) => {
        const n = normalisePostcode(`${out}${inw}`);
        expect(n.district).toBe(out);
        expect(n.sector).toBe(`${out} ${inw[0]}`);
        expect(n.postcode).toBe(`${n.sector}${inw.slice(1)}`);
      }),
    );
  });
});
