import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { OUTCOME_MEASURES, type OutcomeMeasure } from '@linkage/domain';
import { SEGMENT_AREA_LEVELS, type SegmentAreaLevel } from './segments.queries';

const SEGMENT_ID = /^[a-z0-9-]+(\.[a-z0-9-]+){1,2}$/;

/** `/v1/segments?ruleset=`: one ruleset's segments, or all. */
export class SegmentListQuery {
  @ApiPropertyOptional({ description: 'a ruleset id, e.g. system-p' })
  @IsOptional()
  @Matches(/^[a-z0-9-]+$/, {
    message: 'ruleset must be a ruleset id (lower-case letters, digits and hyphens)',
    context: { reason: 'unknown_ruleset' },
  })
  ruleset?: string;
}

/** `/v1/segments/{id}`: `<ruleset>.<segment>[.<subsegment>]`. */
export class SegmentParams {
  @ApiProperty({ description: '`<ruleset>.<segment>[.<subsegment>]`' })
  @Matches(SEGMENT_ID, {
    message: 'id must be <ruleset>.<segment>[.<subsegment>]',
    context: { reason: 'invalid_segment_id' },
  })
  id!: string;
}

/** `/v1/segments/{id}?measure=`: the outcome the Life Rooms lens estimates (default ae). */
export class SegmentShowQuery {
  @ApiPropertyOptional({ enum: OUTCOME_MEASURES })
  @IsOptional()
  @IsIn(OUTCOME_MEASURES, {
    message: `unknown measure: one of ${OUTCOME_MEASURES.join(', ')}`,
    context: { reason: 'unknown_measure', allowed: OUTCOME_MEASURES },
  })
  measure?: OutcomeMeasure;
}

/** `/v1/segments/{id}/areas?level=`: the area level (default local-authority). */
export class SegmentAreasQuery {
  @ApiPropertyOptional({ enum: SEGMENT_AREA_LEVELS })
  @IsOptional()
  @IsIn(SEGMENT_AREA_LEVELS, {
    message: `unknown level: one of ${SEGMENT_AREA_LEVELS.join(', ')}`,
    context: { reason: 'unknown_level', allowed: SEGMENT_AREA_LEVELS },
  })
  level?: SegmentAreaLevel;
}
