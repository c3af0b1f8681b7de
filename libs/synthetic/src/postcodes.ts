import { loadPostcodeLookup } from '@linkage/reference';

/** A current postcode the generator may give someone, with what its rates depend on. */
export interface PostcodeEntry {
  postcode: string;
  /** Local authority name (`Liverpool`, `St. Helens`, ...), or null where the table has none. */
  localAuthority: string | null;
  /** IMD 2019 decile of the postcode's LSOA; null where the reference table has none. */
  imdDecile: number | null;
  /** The decile the rate model uses: the postcode's, else its sector's, else 5. */
  modelDecile: number;
}

let cached: readonly PostcodeEntry[] | undefined;

/**
 * Every current postcode in the six Liverpool City Region authorities, in table order (the
 * reference library leaves out the legacy Wirral L districts). Sampling uniformly from this list
 * reproduces the region's spread over local authorities and IMD deciles.
 */
export function currentPostcodes(): readonly PostcodeEntry[] {
  if (cached) return cached;
  const lookup = loadPostcodeLookup();
  const sectorDecile = new Map(lookup.sectors().map((s) => [s.sector, s.imdDecile]));
  cached = lookup.allPostcodes().map((p) => ({
    postcode: p.postcode,
    localAuthority: p.localAuthority,
    imdDecile: p.imdDecile,
    modelDecile: p.imdDecile ?? sectorDecile.get(p.sector) ?? 5,
  }));
  return cached;
}
