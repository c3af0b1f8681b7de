import { Type, type TProperties } from '@sinclair/typebox';

/** The two source systems. */
export const SOURCES = ['liferooms', 'cipha'] as const;
export type Source = (typeof SOURCES)[number];

// Custom Ajv formats (registered in validate-source-record.ts) carry the checks JSON Schema
// cannot express: the NHS number check digit and the UK postcode shape.
export const NHS_NUMBER_FORMAT = 'nhs-number';
export const UK_POSTCODE_FORMAT = 'uk-postcode';

export const RecordId = Type.String({ minLength: 1, maxLength: 64 });
/** ISO 8601 date-time with offset (`2024-03-01T10:00:00Z`, `...+01:00`). */
export const DateTimeWithOffset = Type.String({ format: 'date-time' });
/** `YYYY-MM-DD`, a real calendar date. */
export const CalendarDate = Type.String({ format: 'date' });
/** 10 digits, spaces or hyphens allowed, modulus-11 check digit. */
export const NhsNumber = Type.String({ format: NHS_NUMBER_FORMAT });
/** UK postcode, case and spacing free. */
export const Postcode = Type.String({ format: UK_POSTCODE_FORMAT });
export const SEXES = ['F', 'M', 'X', 'U'] as const;
export const Sex = StringEnum(SEXES);
/** Source-system ids of things (courses, sessions, providers): not personal identifiers. */
export const SourceId = Type.String({ minLength: 1, maxLength: 64 });
/** A person's name as sent (used only for the link key at the edge). */
export const PersonName = Type.String({ minLength: 1, maxLength: 100 });

/** A closed set of strings: plain JSON Schema `enum`, so a wrong value gives one `enum` error. */
export function StringEnum<const T extends readonly string[]>(values: T) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
}

/** Fields every record has, whatever its source (`nhs_number` optionality differs per source). */
export function commonProperties<T extends string>(recordType: T) {
  return {
    record_id: RecordId,
    record_type: Type.Literal(recordType),
    occurred_at: DateTimeWithOffset,
  };
}

/** Builds one record type's schema: closed object, `$id` naming source, type and version. */
export function recordSchema<P extends TProperties>(
  source: Source,
  recordType: string,
  properties: P,
) {
  return Type.Object(properties, {
    $id: `https://linkage.example/contracts/v1/source/${source}/${recordType}`,
    title: `${source} ${recordType} (v1)`,
    additionalProperties: false,
  });
}
