/**
 * A synthetic person (no real identifiers) and two Life Rooms visits of theirs: one carrying
 * their NHS number, one a walk-in with a misspelt given name who has also moved. The pair
 * scores in the clerical review band: not linked automatically, offered to an officer.
 */
export const REVIEW_BAND_PERSON = {
  given_name: 'Aurelia',
  family_name: 'Quennell',
  date_of_birth: '1980-03-04',
  sex: 'F',
  postcode: 'L9 2AF',
};

/** One Life Rooms visit as an NDJSON line, with the given identity and NHS number if any. */
export function liferoomsVisitLine(id: string, identity: object, nhsNumber?: string): string {
  return JSON.stringify({
    record_id: id,
    record_type: 'visit',
    occurred_at: '2023-02-01T10:00:00Z',
    ...(nhsNumber ? { nhs_number: nhsNumber } : {}),
    ...identity,
    site: 'walton',
    purpose: 'cafe',
  });
}

/** The NDJSON file of the pair: `known` (with `nhsNumber`), then `doubtful` (without). */
export function reviewBandExtract(nhsNumber: string): string {
  return (
    [
      liferoomsVisitLine('known', REVIEW_BAND_PERSON, nhsNumber),
      // A misspelt given name and a house move: in the review band, not linked automatically.
      liferoomsVisitLine('doubtful', {
        ...REVIEW_BAND_PERSON,
        given_name: 'Aurilia',
        postcode: 'L4 0TH',
      }),
    ].join('\n') + '\n'
  );
}
