/**
 * Every reason a source record can be rejected for: stable snake_case codes, used in dead letters,
 * CLI output and reports. Add new codes at the end; never rename one.
 */
export const REJECTION_REASONS = [
  /** The line is not JSON, or not a JSON object. */
  'not_json',
  /** `record_type` is not one of the source's record types. */
  'unknown_record_type',
  /** The source is not `liferooms` or `cipha`. */
  'unknown_source',
  /** A required field is missing, null or empty. */
  'required',
  /** Wrong JSON type (string where a boolean is expected, ...). */
  'invalid_type',
  /** Not one of the allowed values. */
  'invalid_value',
  /** String too short or too long (`record_id` is 1-64 characters). */
  'invalid_length',
  /** Not an ISO 8601 date-time with an offset. */
  'invalid_date_time',
  /** Not a real `YYYY-MM-DD` date. */
  'invalid_date',
  'date_in_future',
  /** Before 1900. */
  'date_too_early',
  /** Not 10 digits, or the modulus-11 check digit does not hold. */
  'invalid_nhs_number',
  /** Not a UK postcode. */
  'invalid_postcode',
  /** SWEMWBS `items` does not have exactly 7 answers. */
  'wrong_item_count',
  /** A SWEMWBS answer outside 1-5. */
  'item_out_of_range',
  /** A date that must not precede `occurred_at` does (a condition's `resolved_at`). */
  'before_occurred_at',
  /** The line is longer than the configured limit (found without reading it whole). */
  'line_too_long',
  /** The bytes are not valid UTF-8. */
  'invalid_encoding',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** One problem with a record: the field (JSON Pointer, `''` for the whole record) and a reason. */
export interface FieldError {
  field: string;
  reason: RejectionReason;
}
