import { loadPostcodeLookup } from './postcode-lookup';

describe('loadPostcodeLookup', () => {
  const lookup = loadPostcodeLookup();

  it('is loaded once', () => expect(loadPostcodeLookup()).toBe(lookup));

  it('gives LSOA, IMD decile and local authority of a postcode', () => {
    const ref = lookup.lookup('L9 2AF');
    expect(ref).toEqual({
      lsoa: expect.stringMatching(/^E01\d{6}$/),
      imdDecile: expect.any(Number),
      localAuthority: 'Liverpool',
    });
  });

  it('tolerates case and spacing', () => {
    expect(lookup.lookup('l92af')).toEqual(lookup.lookup('L9 2AF'));
  });

  it('returns nulls for a postcode whose LSOA could not be mapped', () => {
    expect(lookup.lookup('CH25 9AA')).toEqual({
      lsoa: null,
      imdDecile: null,
      localAuthority: 'Wirral',
    });
  });

  it('returns undefined for a well-formed postcode outside the table', () => {
    expect(lookup.lookup('SW1A 1AA')).toBeUndefined();
  });

  it('lists current postcodes without the legacy Wirral L districts', () => {
    const all = lookup.allPostcodes();
    expect(all.length).toBeGreaterThan(40000);
    expect(all.length).toBeLessThan(64013);
    const legacy = new Set(
      lookup
        .sectors()
        .filter((s) => s.legacyWirralL)
        .map((s) => s.sector),
    );
    expect(legacy.size).toBe(133);
    expect(all.some((p) => legacy.has(p.sector))).toBe(false);
    expect(all.some((p) => /^L4[1-9] /.test(p.postcode))).toBe(false);
    const first = all.find((p) => p.postcode === 'L9 2AF');
    expect(first).toMatchObject({ sector: 'L9 2', district: 'L9', localAuthority: 'Liverpool' });
  });

  it('lists the 989 LCR LSOAs with deciles 1-10', () => {
    const lsoas = lookup.lsoas();
    expect(lsoas).toHaveLength(989);
    expect(new Set(lsoas.map((l) => l.localAuthority))).toEqual(
      new Set(['Liverpool', 'Sefton', 'Knowsley', 'St. Helens', 'Wirral', 'Halton']),
    );
    for (const l of lsoas) expect(l.imdDecile >= 1 && l.imdDecile <= 10).toBe(true);
  });
});
