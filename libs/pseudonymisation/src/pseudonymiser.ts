import { createHmac } from 'node:crypto';
import {
  LinkageEncoder,
  type LinkageEncodingInput,
  type LinkageEncodingWire,
} from './linkage-encoder';
import { normaliseNhsNumber } from './nhs-number';
import { tryNormalisePostcode } from './postcode';

/** The secret key of the keyed pseudonyms and its public id (recorded on every event). */
export interface PseudonymisationKey {
  key: Buffer;
  keyId: string;
  /**
   * Root of the Bloom-filter encoding keys (`LINKAGE_ENCODING_KEY`). When absent they are derived
   * (HKDF, own label per field) from `key`: still separate keys, but one secret to guard.
   */
  encodingKey?: Buffer;
}

/** The identifying fields a link key is made of (liferooms records without an NHS number). */
export interface LinkKeyInput {
  familyName: string;
  givenName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  postcode: string;
}

// 32 hex chars = 128 bits: collisions stay negligible (birthday bound ~2^64) for millions of
// people, while stream names and index keys stay short. Prefixes keep the two pseudonym kinds
// apart so that an NHS number can never produce the same value as a link key.
const PSEUDONYM_HEX_LENGTH = 32;
const PERSON_PREFIX = 'person:v1:';
const LINK_PREFIX = 'link:v1:';
const SEPARATOR = '\u001f';
/**
 * Person ids remembered per pseudonymiser: a person's records arrive many times over (dozens of
 * events each), and one HMAC per record was the edge's largest single cost. Bounded (cleared when
 * full) so memory stays flat whatever the input's size; it lives in the edge's memory only, beside
 * the records it reads.
 */
const PERSON_ID_MEMO_SIZE = 65_536;

/** Lower case, accents removed, everything but letters stripped (`O'Brien-Smith` -> `obriensmith`). */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}]/gu, '');
}

/**
 * Keyed pseudonyms (HMAC-SHA-256). The only holder of the key besides the key loader; the
 * pseudonyms it returns are stable for a key, unlinkable without it.
 */
export class Pseudonymiser {
  readonly keyId: string;
  private readonly key: Buffer;
  private readonly encoder: LinkageEncoder;
  private readonly personIds = new Map<string, string>();

  constructor({ key, keyId, encodingKey }: PseudonymisationKey) {
    if (key.length < 32) throw new RangeError('pseudonymisation key must be at least 32 bytes');
    this.key = Buffer.from(key);
    this.keyId = keyId;
    this.encoder = new LinkageEncoder(encodingKey ?? this.key);
  }

  /** Keyed Bloom-filter encodings and blocking keys for fuzzy linkage (see `LinkageEncoder`). */
  linkageEncoding(input: LinkageEncodingInput): LinkageEncodingWire | null {
    return this.encoder.encode(input);
  }

  /** The person pseudonym of an NHS number (spaces and hyphens ignored). */
  personId(nhsNumber: string): string {
    const normalised = normaliseNhsNumber(nhsNumber);
    const known = this.personIds.get(normalised);
    if (known !== undefined) return known;
    const id = this.hmac(PERSON_PREFIX + normalised);
    if (this.personIds.size >= PERSON_ID_MEMO_SIZE) this.personIds.clear();
    this.personIds.set(normalised, id);
    return id;
  }

  /**
   * The link key of a person known only by name, date of birth and postcode. Names are lower
   * cased with non-letters stripped, the postcode is normalised. Returns `null` when a part is
   * empty after normalisation or the postcode is malformed (nothing reliable to link on).
   */
  linkKey(input: LinkKeyInput): string | null {
    const family = normaliseName(input.familyName);
    const given = normaliseName(input.givenName);
    const postcode = tryNormalisePostcode(input.postcode);
    if (!family || !given || !postcode || !/^\d{4}-\d{2}-\d{2}$/.test(input.dateOfBirth))
      return null;
    return this.hmac(
      LINK_PREFIX + [family, given, input.dateOfBirth, postcode.postcode].join(SEPARATOR),
    );
  }

  private hmac(message: string): string {
    return createHmac('sha256', this.key)
      .update(message, 'utf8')
      .digest('hex')
      .slice(0, PSEUDONYM_HEX_LENGTH);
  }
}
