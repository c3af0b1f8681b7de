/** The two sources the generator writes extracts for. */
export type Source = 'liferooms' | 'cipha';

/**
 * A source record before it gets its record_id and is written (and perhaps made dirty).
 * `fields` hold the record type's own fields in the order they are written.
 */
export interface DraftRecord {
  source: Source;
  recordType: string;
  occurredMs: number;
  nhsNumber: string;
  /** liferooms: given_name, family_name, date_of_birth, sex, postcode (the booking details). */
  identity?: LifeRoomsIdentity;
  fields: Record<string, string | number | boolean | number[]>;
  /** The first Life Rooms contact: kept clean so the index date survives ingest. */
  isIndex?: boolean;
}

export interface LifeRoomsIdentity {
  given_name: string;
  family_name: string;
  date_of_birth: string;
  sex: string;
  postcode: string;
}
