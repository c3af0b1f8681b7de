import { createHmac } from 'node:crypto';
import { Pseudonymiser, normaliseName } from './pseudonymiser';

const key = Buffer.alloc(32, 7);
const p = new Pseudonymiser({ key, keyId: 'k1' });
const person = {
  familyName: "O'Brien",
  givenName: 'Siân',
  dateOfBirth: '1983-07-14',
  postcode: 'L9 2AF',
};

describe('Pseudonymiser', () => {
  it('makes person ids as truncated HMAC-SHA-256 of the normalised NHS number', () => {
    const expected = createHmac('sha256', key)
      .update('person:v1:9994765914')
      .digest('hex')
      .slice(0, 32);
    expect(p.personId('9994765914')).toBe(expected);
    expect(p.personId('999 476 5914')).toBe(expected);
    expect(p.keyId).toBe('k1');
  });

  it('gives every NHS number its own HMAC when asked again, also past the remembered ones', () => {
    const fresh = new Pseudonymiser({ key, keyId: 'k1' });
    const hmacOf = (n: string) =>
      createHmac('sha256', key).update(`person:v1:${n}`).digest('hex').slice(0, 32);
    // More numbers than the memo holds (65,536), so it is cleared and refilled on the way.
    const numbers = Array.from({ length: 70_000 }, (_, i) => String(9_000_000_000 + i * 7));
    const first = numbers.map((n) => fresh.personId(n));
    const again = numbers.map((n) => fresh.personId(n));
    expect(new Set(first).size).toBe(numbers.length);
    expect(again).toEqual(first);
    for (const i of [0, 1, 65_535, 65_536, 69_999]) expect(first[i]).toBe(hmacOf(numbers[i]));
    expect(fresh.personId('900 000 0007')).toBe(hmacOf('9000000007'));
  });

  it('depends on the key', () => {
    const other = new Pseudonymiser({ key: Buffer.alloc(32, 8), keyId: 'k2' });
    expect(other.personId('9994765914')).not.toBe(p.personId('9994765914'));
    expect(other.linkKey(person)).not.toBe(p.linkKey(person));
  });

  it('refuses short keys', () => {
    expect(() => new Pseudonymiser({ key: Buffer.alloc(16), keyId: 'x' })).toThrow(RangeError);
  });

  it('makes the same link key whatever the case, punctuation and postcode spacing', () => {
    const a = p.linkKey(person);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(
      p.linkKey({
        familyName: 'OBRIEN',
        givenName: 'sian',
        dateOfBirth: '1983-07-14',
        postcode: 'l92af',
      }),
    ).toBe(a);
    expect(p.linkKey({ ...person, dateOfBirth: '1983-07-15' })).not.toBe(a);
    expect(p.linkKey({ ...person, givenName: 'Sean' })).not.toBe(a);
  });

  it('keeps link keys and person ids apart', () => {
    expect(p.linkKey(person)).not.toBe(p.personId('9994765914'));
  });

  it('gives no link key when a part is empty or malformed', () => {
    expect(p.linkKey({ ...person, familyName: "--'" })).toBeNull();
    expect(p.linkKey({ ...person, postcode: 'nowhere' })).toBeNull();
    expect(p.linkKey({ ...person, dateOfBirth: '14/07/1983' })).toBeNull();
  });

  it('does not show the key when logged', () => {
    expect(JSON.stringify(p)).not.toContain(key.toString('hex'));
  });
});

describe('normaliseName', () => {
  it.each([
    ["O'Brien-Smith", 'obriensmith'],
    ['  Siân ', 'sian'],
    ['José María', 'josemaria'],
    ['Zoë', 'zoe'],
  ])('%s -> %s', (input, expected) => expect(normaliseName(input)).toBe(expected));
});
