/**
 * Dirt planted in the extracts. Each rejection kind puts exactly one defect into a record, so
 * each dirty record maps to exactly one rejection reason at the ingest edge.
 */
export const REJECTION_KINDS = [
  'invalid_nhs_number',
  'invalid_postcode',
  'date_in_future',
  'unknown_record_type',
  'wrong_item_count',
  'required',
  'not_json',
] as const;
export type RejectionKind = (typeof REJECTION_KINDS)[number];

/** The reason code and field (JSON Pointer) ingest should report for each kind. */
export const REJECTION: Readonly<
  Record<RejectionKind, { reason: string; field: string; defect: string }>
> = {
  invalid_nhs_number: {
    reason: 'invalid_nhs_number',
    field: '/nhs_number',
    defect: 'check digit changed (number stays in the 999 test range)',
  },
  invalid_postcode: {
    reason: 'invalid_postcode',
    field: '/postcode',
    defect: "first character of the inward code replaced by 'Z' (e.g. 'L9 ZAF')",
  },
  date_in_future: {
    reason: 'date_in_future',
    field: '/occurred_at',
    defect: 'occurred_at moved 100 years later',
  },
  unknown_record_type: {
    reason: 'unknown_record_type',
    field: '/record_type',
    defect: "record_type set to 'legacy_activity'",
  },
  wrong_item_count: {
    reason: 'wrong_item_count',
    field: '/items',
    defect: 'a SWEMWBS item dropped or added (6 or 8 items)',
  },
  required: { reason: 'required', field: '/occurred_at', defect: 'occurred_at left out' },
  not_json: {
    reason: 'not_json',
    field: '',
    defect: 'the NDJSON line cut in half (ndjson only; csv extracts plant none)',
  },
};

export const UNKNOWN_RECORD_TYPE = 'legacy_activity';

/** Every `--dirt` key: the rejection kinds plus resent duplicates and records without an NHS number. */
export const DIRT_KEYS = [
  ...REJECTION_KINDS,
  'duplicates',
  'no_nhs_number',
  'no_nhs_number_typo',
  'no_nhs_number_changed_postcode',
  'no_nhs_number_nickname',
  'no_nhs_number_invalid_nhs_number',
  'no_nhs_number_missing_postcode',
] as const;
export type DirtKey = (typeof DIRT_KEYS)[number];

/**
 * Default shares. Rejection kinds and duplicates are shares of the records each can apply to
 * (e.g. `wrong_item_count` of wellbeing measures, `invalid_postcode` of records with a postcode);
 * `no_nhs_number` is a share of liferooms records, and its `_typo` / `_changed_postcode` parts
 * are shares of those (the rest match exactly).
 */
export const DEFAULT_DIRT: Readonly<Record<DirtKey, number>> = {
  invalid_nhs_number: 0.005,
  invalid_postcode: 0.005,
  date_in_future: 0.005,
  unknown_record_type: 0.005,
  wrong_item_count: 0.005,
  required: 0.005,
  not_json: 0.005,
  duplicates: 0.005,
  no_nhs_number: 0.1,
  no_nhs_number_typo: 0.15,
  no_nhs_number_changed_postcode: 0.15,
  no_nhs_number_nickname: 0.05,
  no_nhs_number_invalid_nhs_number: 0.05,
  no_nhs_number_missing_postcode: 0.05,
};

/** The `no_nhs_number_<case>` shares, in the order a record's case is drawn. */
export const NO_NHS_NUMBER_CASE_KEYS = [
  ['typo', 'no_nhs_number_typo'],
  ['changed_postcode', 'no_nhs_number_changed_postcode'],
  ['nickname', 'no_nhs_number_nickname'],
  ['invalid_nhs_number', 'no_nhs_number_invalid_nhs_number'],
  ['missing_postcode', 'no_nhs_number_missing_postcode'],
] as const satisfies readonly (readonly [NoNhsNumberCase, DirtKey])[];

export function isDirtKey(name: string): name is DirtKey {
  return (DIRT_KEYS as readonly string[]).includes(name);
}

/**
 * Linkage cases (not rejections): how a liferooms record without a usable NHS number differs from
 * its person's other records. `invalid_nhs_number` keeps a number with a wrong check digit (ingest
 * keeps the record with a warning); the others leave the number out.
 */
export type NoNhsNumberCase =
  'exact' | 'typo' | 'changed_postcode' | 'nickname' | 'invalid_nhs_number' | 'missing_postcode';

/** Common short forms of the generator's given names (a nickname case uses them). */
export const NICKNAMES: Readonly<Record<string, string>> = {
  William: 'Bill',
  Margaret: 'Maggie',
  Patricia: 'Pat',
  Christopher: 'Chris',
  Michael: 'Mike',
  Thomas: 'Tom',
  Daniel: 'Dan',
  Matthew: 'Matt',
  Anthony: 'Tony',
  Stephen: 'Steve',
  Steven: 'Steve',
  Kenneth: 'Ken',
  Terence: 'Terry',
  Francis: 'Frank',
  Joseph: 'Joe',
  Patrick: 'Paddy',
  Jessica: 'Jess',
  Rebecca: 'Becky',
  Kathleen: 'Kath',
  Theresa: 'Tess',
  Susan: 'Sue',
  Nicola: 'Nicky',
  Joanne: 'Jo',
  David: 'Dave',
  Peter: 'Pete',
  Jacob: 'Jake',
  Charlie: 'Charles',
  Alfie: 'Alf',
  Olivia: 'Liv',
  Amelia: 'Millie',
  Elizabeth: 'Liz',
  Samuel: 'Sam',
  Benjamin: 'Ben',
  James: 'Jim',
  Robert: 'Bob',
  Richard: 'Dick',
  Catherine: 'Cathy',
  Jennifer: 'Jen',
};

/** A deliberately malformed postcode: the inward code must start with a digit. */
export function corruptPostcode(postcode: string): string {
  const [outward, inward] = postcode.split(' ');
  return `${outward} Z${inward.slice(1)}`;
}

/** One letter of a name replaced by another (never the first letter, never a no-op). */
export function typo(name: string, u1: number, u2: number): string {
  const positions = [...name]
    .map((ch, i) => (i > 0 && /[a-z]/.test(ch) ? i : -1))
    .filter((i) => i > 0);
  if (positions.length === 0) return `${name}e`;
  const at = positions[Math.floor(u1 * positions.length)];
  const letters = 'abcdefghijklmnopqrstuvwxyz'.replace(name[at], '');
  const replacement = letters[Math.floor(u2 * letters.length)];
  return name.slice(0, at) + replacement + name.slice(at + 1);
}
