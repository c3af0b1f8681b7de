import fc from 'fast-check';
import { tryNormalisePostcode } from '@linkage/pseudonymisation';
import { corruptPostcode, typo } from './dirt';
import { currentPostcodes } from './postcodes';

describe('dirt', () => {
  it('a corrupted postcode is malformed for every current LCR postcode', () => {
    const postcodes = currentPostcodes();
    expect(postcodes.length).toBeGreaterThan(50_000);
    const unreadable = postcodes.filter(
      ({ postcode }) => tryNormalisePostcode(postcode) === undefined,
    );
    const stillValid = postcodes.filter(({ postcode }) =>
      tryNormalisePostcode(corruptPostcode(postcode)),
    );
    expect(unreadable).toEqual([]);
    expect(stillValid).toEqual([]);
  });

  it('leaves out the legacy Wirral L districts', () => {
    const legacy = /^L(4[1-9]|6[0-5]) /;
    expect(currentPostcodes().some((p) => legacy.test(p.postcode))).toBe(false);
  });

  it('a typo always changes the name, never its first letter', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Anna', "O'Brien", 'Lee', 'McDonald', 'Jo'),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (name, u1, u2) => {
          const changed = typo(name, u1, u2);
          return changed !== name && changed[0] === name[0] && changed.length === name.length;
        },
      ),
    );
  });
});
