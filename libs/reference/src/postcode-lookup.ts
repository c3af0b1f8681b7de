import { readReferenceCsv } from './data-files';

/** What the reference table gives for a postcode. `null` where the table has a blank. */
export interface PostcodeReference {
  /** 2011 LSOA code (IMD 2019 geography), or null when it could not be mapped. */
  lsoa: string | null;
  /** IMD 2019 decile (1 = most deprived 10% in England), or null. */
  imdDecile: number | null;
  /** Local authority name (`Liverpool`, `St. Helens`, ...), or null. */
  localAuthority: string | null;
}

export interface PostcodeEntry extends PostcodeReference {
  /** Canonical postcode, `L9 2AF`. */
  postcode: string;
  sector: string;
  district: string;
}

export interface LsoaEntry {
  lsoa: string;
  name: string;
  localAuthority: string;
  imdRank: number;
  imdDecile: number;
}

export interface SectorEntry {
  sector: string;
  district: string;
  /** The sector's most common LSOA (by postcodes), its LA and IMD decile. */
  lsoa: string | null;
  localAuthority: string | null;
  imdDecile: number | null;
  postcodesInLcr: number;
  /** Old Wirral L41-L49/L60-L65 sectors, recoded to CH in 1999-2000. */
  legacyWirralL: boolean;
}

/** The Liverpool City Region postcode reference table (NSPL Aug 2024 + IMD 2019). */
export interface PostcodeLookup {
  /**
   * Reference data of a postcode (canonical `L9 2AF`; other spacing/case is tolerated), or
   * `undefined` when the postcode is well formed but not in the table (e.g. outside the LCR).
   */
  lookup(postcode: string): PostcodeReference | undefined;
  /** Current LCR postcodes for the synthetic generator (legacy Wirral L districts left out). */
  allPostcodes(): readonly PostcodeEntry[];
  /** Every LCR 2011 LSOA with its IMD 2019 rank and decile. */
  lsoas(): readonly LsoaEntry[];
  /** Every postcode sector with LCR postcodes, legacy ones flagged. */
  sectors(): readonly SectorEntry[];
}

let cached: PostcodeLookup | undefined;

const intOrNull = (s: string | undefined) => (s ? Number(s) : null);

function canonical(postcode: string): string {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  return compact.length > 3 ? `${compact.slice(0, -3)} ${compact.slice(-3)}` : compact;
}

function build(): PostcodeLookup {
  const lsoaRows = readReferenceCsv('lcr_lsoa_imd2019.csv');
  const laByCode = new Map<string, string>();
  const lsoaList: LsoaEntry[] = lsoaRows.map((r) => {
    laByCode.set(r.lad19cd, r.local_authority);
    return {
      lsoa: r.lsoa11cd,
      name: r.lsoa11nm,
      localAuthority: r.local_authority,
      imdRank: Number(r.imd_rank),
      imdDecile: Number(r.imd_decile),
    };
  });

  const sectorList: SectorEntry[] = readReferenceCsv('lcr_postcode_sectors.csv').map((r) => ({
    sector: r.postcode_sector,
    district: r.postcode_district,
    lsoa: r.lsoa11cd || null,
    localAuthority: r.local_authority || null,
    imdDecile: intOrNull(r.imd_decile),
    postcodesInLcr: Number(r.n_postcodes_lcr),
    legacyWirralL: r.legacy_wirral_l_district === 'Y',
  }));
  const legacySectors = new Set(sectorList.filter((s) => s.legacyWirralL).map((s) => s.sector));

  const byPostcode = new Map<string, PostcodeReference>();
  const current: PostcodeEntry[] = [];
  for (const r of readReferenceCsv('lcr_postcodes.csv')) {
    const ref: PostcodeReference = {
      lsoa: r.lsoa11cd || null,
      imdDecile: intOrNull(r.imd_decile),
      localAuthority: laByCode.get(r.lad_code) ?? null,
    };
    byPostcode.set(r.postcode, ref);
    const sector = r.postcode.slice(0, -2);
    if (!legacySectors.has(sector)) {
      current.push({ postcode: r.postcode, sector, district: sector.slice(0, -2), ...ref });
    }
  }

  return {
    lookup(postcode) {
      return byPostcode.get(postcode) ?? byPostcode.get(canonical(postcode));
    },
    allPostcodes: () => current,
    lsoas: () => lsoaList,
    sectors: () => sectorList,
  };
}

/** The postcode reference table: read once (about 64,000 rows), then cached for the process. */
export function loadPostcodeLookup(): PostcodeLookup {
  cached ??= build();
  return cached;
}
