import {
  canonicalJson,
  ChainVerifier,
  chainEntry,
  findIdentifierProblems,
  sanitiseAuditParameters,
} from './audit-entry';

describe('audit entries', () => {
  it('serialises canonically whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it.each<[string, unknown, string[]]>([
    ['an NHS number key', { nhs_number: 'x' }, ['/nhs_number']],
    ['a name key', { familyName: 'x' }, ['/familyName']],
    ['a 999 NHS number value', { q: '9990001234' }, ['/q']],
    ['a spaced NHS number in an array', { q: ['999 000 1234'] }, ['/q/0']],
    ['a numeric NHS number', { n: 9990001234 }, ['/n']],
    ['a full postcode', { area: 'l9 2ab' }, ['/area']],
    [
      'sectors, dates, LSOAs and counts',
      { postcode_sector: 'L9 2', from: '2024-01-01', lsoa: 'E01006512', n: 123456 },
      [],
    ],
    ['a request id (UUID)', { id: '123e4567-e89b-12d3-a456-426614174000' }, []],
    [
      'UUIDs with ten-digit runs',
      { ids: ['12567e02-5aeb-4189-9e53-4a9332679657', '03e733b4-5b3e-47e5-a0a1-6626447845d8'] },
      [],
    ],
  ])('finds %s', (_name, params, fields) => {
    expect(findIdentifierProblems(params).map((p) => p.field)).toEqual(fields);
  });

  it('strips identifiers from request parameters and says where', () => {
    expect(
      sanitiseAuditParameters({ nhs_number: '9990001234', q: '999-000-1234', month: '2024-01' }),
    ).toEqual({
      q: '[redacted]',
      month: '2024-01',
      $redacted: ['/nhs_number', '/q'],
    });
  });

  it('links entries and finds the first break', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const input = { actor: 'a', action: 'x.read', outcome: 'ok' as const };
    const first = chainEntry(input, undefined, at);
    const second = chainEntry(input, first, at);
    const third = chainEntry(input, second, at);
    const ok = new ChainVerifier();
    [first, second, third].forEach((e) => ok.check(e));
    expect(ok.firstBroken).toBeUndefined();
    const bad = new ChainVerifier();
    [first, { ...second, actor: 'b' }, third].forEach((e) => bad.check(e));
    expect(bad.firstBroken).toEqual({ sequence: 2, reason: 'hash_mismatch' });
  });
});
