import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { SOURCES, type Source } from '@linkage/contracts';
import { PERSON_MERGE_REASONS, PERSON_SPLIT_REASONS } from '@linkage/domain';
import { wholeNumber } from '@linkage/governance';

/** `POST /v1/ingest/{source}`: which source system the body's records come from. */
export class IngestParams {
  @ApiProperty({ enum: SOURCES })
  @IsIn(SOURCES, {
    message: `unknown source: one of ${SOURCES.join(', ')}`,
    context: { reason: 'unknown_source', allowed: SOURCES },
  })
  source!: Source;
}

export const REVIEW_LIST_MAX = 1000;

/** `GET /v1/linkage/review?limit=`: how many candidate pairs (default 50). */
export class ReviewListQuery {
  @ApiPropertyOptional({ description: `1 to ${REVIEW_LIST_MAX} (default 50)`, type: 'integer' })
  @wholeNumber()
  @IsOptional()
  @IsInt({
    message: `limit must be a whole number from 1 to ${REVIEW_LIST_MAX}`,
    context: { reason: 'limit_out_of_range' },
  })
  @Min(1, {
    message: `limit must be a whole number from 1 to ${REVIEW_LIST_MAX}`,
    context: { reason: 'limit_out_of_range' },
  })
  @Max(REVIEW_LIST_MAX, {
    message: `limit must be a whole number from 1 to ${REVIEW_LIST_MAX}`,
    context: { reason: 'limit_out_of_range' },
  })
  limit?: number;
}

/** A person is named by pseudonym (32 hex digits), never by an identifier. */
const PSEUDONYM = /^[0-9a-f]{32}$/;
const pseudonym = (field: string) =>
  Matches(PSEUDONYM, {
    message: `${field} must be a person's pseudonym (32 hex digits)`,
    context: { reason: 'not_a_pseudonym' },
  });

const REVIEW_DECISIONS = ['accept', 'reject'] as const;

/** `POST /v1/linkage/review/{record}/candidates/{candidate}/{decision}`. */
export class ReviewDecisionParams {
  @ApiProperty({ description: 'the event id of the unlinked record (a UUID)' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
    message: "record must be the unlinked record's event id (a UUID)",
    context: { reason: 'not_an_event_id' },
  })
  record!: string;

  @ApiProperty({ description: 'the candidate person (pseudonym)' })
  @pseudonym('candidate')
  candidate!: string;

  @ApiProperty({ enum: REVIEW_DECISIONS })
  @IsIn(REVIEW_DECISIONS, {
    message: 'decision must be accept or reject',
    context: { reason: 'unknown_decision', allowed: REVIEW_DECISIONS },
  })
  decision!: (typeof REVIEW_DECISIONS)[number];
}

const PERSON_DECISIONS = ['merge', 'split'] as const;

/** `POST /v1/linkage/review/persons/{merged}/{decision}/{survivor}`. */
export class PersonDecisionParams {
  @ApiProperty({ description: 'the person merged away (pseudonym)' })
  @pseudonym('merged')
  merged!: string;

  @ApiProperty({ enum: PERSON_DECISIONS })
  @IsIn(PERSON_DECISIONS, {
    message: 'decision must be merge or split',
    context: { reason: 'unknown_decision', allowed: PERSON_DECISIONS },
  })
  decision!: (typeof PERSON_DECISIONS)[number];

  @ApiProperty({ description: 'the surviving person (pseudonym)' })
  @pseudonym('survivor')
  survivor!: string;
}

/** Every reason a merge or a split may give; which one fits the decision is the domain's rule. */
const PERSON_DECISION_REASONS = [...new Set([...PERSON_MERGE_REASONS, ...PERSON_SPLIT_REASONS])];

/** `?reason=` of a person merge or split. */
export class PersonDecisionQuery {
  @ApiProperty({
    enum: PERSON_DECISION_REASONS,
    description:
      'merge: nhs_number_correction or duplicate_registration; split: nhs_number_correction or merged_in_error',
  })
  @IsDefined({
    message: `reason is required: one of ${PERSON_DECISION_REASONS.join(', ')}`,
    context: { reason: 'reason_required', allowed: PERSON_DECISION_REASONS },
  })
  @IsIn(PERSON_DECISION_REASONS, {
    message: `unknown reason: one of ${PERSON_DECISION_REASONS.join(', ')}`,
    context: { reason: 'unknown_reason', allowed: PERSON_DECISION_REASONS },
  })
  reason!: string;
}
