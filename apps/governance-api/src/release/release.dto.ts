import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { emptyIsAbsent } from '@linkage/governance';
import { RELEASABLE_OUTPUTS } from '../../../analytics-api/src';

const DECISIONS = ['approve', 'reject'] as const;

/** `POST /v1/releases`: which analytics output to release, its parameters, and why. */
export class RequestReleaseBody {
  @ApiProperty({ enum: RELEASABLE_OUTPUTS })
  @IsDefined({
    message: `output is required: one of ${RELEASABLE_OUTPUTS.join(', ')}`,
    context: { reason: 'output_required', allowed: RELEASABLE_OUTPUTS },
  })
  @IsIn(RELEASABLE_OUTPUTS, {
    message: `unknown output: one of ${RELEASABLE_OUTPUTS.join(', ')}`,
    context: { reason: 'unknown_output', allowed: RELEASABLE_OUTPUTS },
  })
  output!: string;

  @ApiPropertyOptional({
    description: 'the output\'s parameters, e.g. { "measure": "crisis", "before": 12 }',
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] },
  })
  @IsOptional()
  @IsObject({
    message: 'parameters must be an object of names and values',
    context: { reason: 'parameters_not_an_object' },
  })
  parameters?: Record<string, string | number>;

  @ApiProperty({ description: 'why the output should leave the service' })
  @IsOptional()
  @IsString({
    message: 'justification must be text',
    context: { reason: 'justification_not_text' },
  })
  @MaxLength(2000, {
    message: 'justification must be at most 2000 characters',
    context: { reason: 'justification_too_long' },
  })
  justification?: string;
}

/** `POST /v1/releases/{id}/review`: the output checker's decision and its reason. */
export class ReviewReleaseBody {
  @ApiProperty({ enum: DECISIONS })
  @IsIn(DECISIONS, {
    message: 'decision must be approve or reject',
    context: { reason: 'decision_must_be_approve_or_reject', allowed: DECISIONS },
  })
  decision!: (typeof DECISIONS)[number];

  @ApiProperty({ description: 'why (required by the review)' })
  @IsOptional()
  @IsString({ message: 'reason must be text', context: { reason: 'reason_not_text' } })
  @MaxLength(2000, {
    message: 'reason must be at most 2000 characters',
    context: { reason: 'reason_too_long' },
  })
  reason?: string;
}

const STATUSES = ['requested', 'approved', 'rejected'] as const;

/** `GET /v1/releases?status=`: only the releases in this state (all when absent). */
export class ReleaseListQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @emptyIsAbsent()
  @IsOptional()
  @IsIn(STATUSES, {
    message: `status must be one of ${STATUSES.join(', ')}`,
    context: { reason: 'unknown_status', allowed: STATUSES },
  })
  status?: (typeof STATUSES)[number];
}

const FORMATS = ['json', 'csv'] as const;

/** `GET /v1/releases/{id}/file?format=`: JSON (default) or CSV. */
export class ReleaseFileQuery {
  @ApiPropertyOptional({ enum: FORMATS })
  @emptyIsAbsent()
  @IsOptional()
  @IsIn(FORMATS, {
    message: `format must be one of ${FORMATS.join(', ')}`,
    context: { reason: 'unknown_format', allowed: FORMATS },
  })
  format?: (typeof FORMATS)[number];
}
