import { randomBytes } from 'node:crypto';
import { compareEncodings, type LinkageEncoding } from '@linkage/domain';
import { LinkageEncoder, bigrams, type LinkageEncodingWire } from './linkage-encoder';

const person = {
  givenName: 'Margaret',
  familyName: "O'Rourke",
  dateOfBirth: '1961-04-09',
  postcode: 'L9 2AF',
};
const decode = (w: LinkageEncodingWire): LinkageEncoding => ({
  fields: Object.fromEntries(
    (['givenName', 'familyName', 'dateOfBirth', 'postcode'] as const)
      .filter((f) => w[f])
      .map((f) => [f, Buffer.from(w[f]!, 'hex')]),
  ),
});

describe('keyed Bloom-filter encodings', () => {
  const key = randomBytes(32);
  const encoder = new LinkageEncoder(key);

  it('pads bigrams', () => expect(bigrams('ann')).toEqual(['_a', 'an', 'nn', 'n_']));

  it('is stable for a key and normalises case, accents and punctuation', () => {
    const a = encoder.encode(person)!;
    const b = new LinkageEncoder(key).encode({
      ...person,
      familyName: 'o rourke',
      postcode: 'l92af',
    })!;
    expect(b).toEqual(a);
  });

  it('gives unrelated bits under another key (nothing to compare across keys)', () => {
    const other = new LinkageEncoder(randomBytes(32)).encode(person)!;
    const c = compareEncodings(decode(encoder.encode(person)!), decode(other));
    expect(c.similarities.givenName!).toBeLessThan(0.5);
    expect(other.blocks).not.toEqual(encoder.encode(person)!.blocks);
  });

  it('keeps a typo similar and another name different', () => {
    const base = decode(encoder.encode(person)!);
    const typo = compareEncodings(
      base,
      decode(encoder.encode({ ...person, givenName: 'Margeret' })!),
    );
    const other = compareEncodings(
      base,
      decode(encoder.encode({ ...person, givenName: 'Susan' })!),
    );
    expect(typo.similarities.givenName!).toBeGreaterThan(0.5);
    expect(typo.similarities.familyName).toBe(1);
    expect(other.similarities.givenName!).toBeLessThan(0.5);
  });

  it('salts with the year of birth: the same name in another birth year sets other bits', () => {
    const base = decode(encoder.encode(person)!);
    const otherYear = decode(encoder.encode({ ...person, dateOfBirth: '1971-04-09' })!);
    expect(compareEncodings(base, otherYear).similarities.familyName!).toBeLessThan(0.5);
  });

  it('shares the date-of-birth block with a moved, misspelt record of the same person', () => {
    const a = encoder.encode(person)!;
    const b = encoder.encode({ ...person, givenName: 'Maggie', postcode: 'PR8 1RJ' })!;
    expect(a.blocks.filter((x) => b.blocks.includes(x)).length).toBeGreaterThan(0);
  });

  it('holds no identifier in its output, only hex', () => {
    const text = JSON.stringify(encoder.encode(person));
    expect(text).not.toMatch(/margaret|rourke|1961|l9 ?2af/i);
    for (const v of Object.values(encoder.encode(person)!)) {
      if (typeof v === 'string') expect(v).toMatch(/^[0-9a-f]+$/);
    }
  });

  it('encodes nothing without a date of birth or with fewer than two fields', () => {
    expect(encoder.encode({ ...person, dateOfBirth: undefined })).toBeNull();
    expect(encoder.encode({ dateOfBirth: '1961-04-09' })).toBeNull();
    expect(encoder.encode({ dateOfBirth: '1961-04-09', postcode: 'L9 2AF' })).not.toBeNull();
  });

  it('refuses a short key', () => {
    expect(() => new LinkageEncoder(randomBytes(16))).toThrow(RangeError);
  });
});
