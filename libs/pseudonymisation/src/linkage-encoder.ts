import { createHmac, hkdfSync } from 'node:crypto';
import { counter } from '@linkage/observability';
import { normaliseName } from './pseudonymiser';
import { tryNormalisePostcode } from './postcode';

/**
 * Keyed Bloom-filter encodings of a person's names, date of birth and postcode (cryptographic
 * long-term keys in the style of Schnell et al. and anonlink/clkhash): each field's bigrams are
 * hashed with that field's own secret key into a bit array, so records can be compared by Dice
 * similarity without an identifier leaving the edge.
 *
 * Hardening: every bigram is salted with the year of birth (the same name in different birth
 * years sets different bits, which flattens the bit frequencies a frequency attack needs), keys
 * are per field, and the keys are derived (HKDF) under their own label, separate from the
 * pseudonymisation key's use. Blocking keys are keyed hashes of coarse parts of the identity, so
 * candidate pairs can be found without comparing everything with everything.
 */

/** What goes onto the canonical event (hex bit arrays and hex block keys: hex, so that no name or postcode can appear in it by chance). */
export interface LinkageEncodingWire {
  v: 1;
  givenName?: string;
  familyName?: string;
  dateOfBirth?: string;
  postcode?: string;
  blocks: string[];
}

export interface LinkageEncodingInput {
  givenName?: string;
  familyName?: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth?: string;
  postcode?: string;
}

type Field = 'givenName' | 'familyName' | 'dateOfBirth' | 'postcode';

/** Bits per field filter and positions per bigram. */
const FILTERS: Record<Field, { bits: number; k: number }> = {
  givenName: { bits: 512, k: 15 },
  familyName: { bits: 512, k: 15 },
  dateOfBirth: { bits: 256, k: 10 },
  postcode: { bits: 256, k: 10 },
};
const HKDF_SALT = 'linkage-encoding:v1';
const BLOCK_HEX = 16;
const CACHE_LIMIT = 50_000;

/** Time spent on fuzzy linkage, by stage (`encode` here, `link` in the event writer). */
export const linkageSeconds = counter(
  'linkage_fuzzy_seconds_total',
  'Seconds spent on fuzzy linkage (Bloom-filter encoding at the edge, linking in the writer)',
  ['stage'],
);

/** Padded bigrams: `ann` -> `_a`, `an`, `nn`, `n_`. */
export function bigrams(value: string): string[] {
  const padded = `_${value}_`;
  const out: string[] = [];
  for (let i = 0; i < padded.length - 1; i++) out.push(padded.slice(i, i + 2));
  return out;
}

export class LinkageEncoder {
  private readonly fieldKeys: Record<Field, Buffer>;
  private readonly blockKey: Buffer;
  // The same person's records carry the same details: encode each distinct identity once.
  private readonly cache = new Map<string, LinkageEncodingWire | null>();

  /** `rootKey`: the secret the per-field keys are derived from (at least 32 bytes). */
  constructor(rootKey: Buffer) {
    if (rootKey.length < 32) throw new RangeError('linkage encoding key must be at least 32 bytes');
    const derive = (label: string) =>
      Buffer.from(hkdfSync('sha256', rootKey, HKDF_SALT, `linkage-encoding:${label}`, 32));
    this.fieldKeys = {
      givenName: derive('given-name'),
      familyName: derive('family-name'),
      dateOfBirth: derive('date-of-birth'),
      postcode: derive('postcode'),
    };
    this.blockKey = derive('blocking');
  }

  /**
   * The encodings of one record, or null when it has no year of birth or fewer than two usable
   * fields (nothing reliable to compare).
   */
  encode(input: LinkageEncodingInput): LinkageEncodingWire | null {
    const started = process.hrtime.bigint();
    try {
      return this.encodeCached(input);
    } finally {
      linkageSeconds.inc({ stage: 'encode' }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private encodeCached(input: LinkageEncodingInput): LinkageEncodingWire | null {
    const cacheKey = [input.givenName, input.familyName, input.dateOfBirth, input.postcode].join(
      '\u001f',
    );
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const result = this.encodeUncached(input);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(cacheKey, result);
    return result;
  }

  private encodeUncached(input: LinkageEncodingInput): LinkageEncodingWire | null {
    const dob =
      input.dateOfBirth && /^\d{4}-\d{2}-\d{2}$/.test(input.dateOfBirth)
        ? input.dateOfBirth
        : undefined;
    if (!dob) return null;
    const year = dob.slice(0, 4);
    const given = input.givenName ? normaliseName(input.givenName) : '';
    const family = input.familyName ? normaliseName(input.familyName) : '';
    const postcode = input.postcode ? tryNormalisePostcode(input.postcode) : undefined;
    const compactPostcode = postcode ? postcode.postcode.replace(' ', '') : '';
    const values: Record<Field, string> = {
      givenName: given,
      familyName: family,
      dateOfBirth: dob.replace(/-/g, ''),
      postcode: compactPostcode,
    };
    const wire: LinkageEncodingWire = { v: 1, blocks: [] };
    let fields = 0;
    for (const field of Object.keys(FILTERS) as Field[]) {
      if (!values[field]) continue;
      wire[field] = this.filter(field, values[field], year).toString('hex');
      fields++;
    }
    if (fields < 2) return null;
    const blocks = [`dob|${dob}`];
    if (family && given) blocks.push(`yfg|${year}|${family.slice(0, 2)}|${given[0]}`);
    if (postcode && given) blocks.push(`pcg|${compactPostcode}|${given.slice(0, 2)}`);
    if (postcode && family) blocks.push(`pcf|${compactPostcode}|${family.slice(0, 2)}`);
    wire.blocks = blocks.map((b) =>
      createHmac('sha256', this.blockKey).update(b, 'utf8').digest('hex').slice(0, BLOCK_HEX),
    );
    return wire;
  }

  private filter(field: Field, value: string, salt: string): Buffer {
    const { bits, k } = FILTERS[field];
    const out = Buffer.alloc(bits / 8);
    const key = this.fieldKeys[field];
    for (const gram of bigrams(value)) {
      const digest = createHmac('sha256', key).update(`${salt}\u001f${gram}`, 'utf8').digest();
      for (let i = 0; i < k; i++) {
        const position = digest.readUInt16BE(i * 2) % bits;
        out[position >> 3] |= 1 << (position & 7);
      }
    }
    return out;
  }
}
