import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsDivisibleBy, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { OUTCOME_MEASURES, type OutcomeMeasure } from '@linkage/domain';
import { allOf, emptyIsAbsent, wholeNumber } from '@linkage/governance';
import {
  BREAKDOWN_DIMENSIONS,
  OUTCOME_WINDOW_GRID_MONTHS,
  OUTCOME_WINDOW_MAX_MONTHS,
  type BreakdownDimension,
} from './analytics.queries';

const measures = OUTCOME_MEASURES.join(', ');
const grid = `multiples of ${OUTCOME_WINDOW_GRID_MONTHS} months`;

/** `?measure=`: required, one of the outcome measures. */
export class MeasureQuery {
  @ApiProperty({ enum: OUTCOME_MEASURES, description: 'the outcome measure' })
  @emptyIsAbsent()
  @IsDefined({
    message: `the query parameter measure is required: one of ${measures}`,
    context: { reason: 'measure_required', allowed: OUTCOME_MEASURES },
  })
  @IsIn(OUTCOME_MEASURES, {
    message: `unknown measure: one of ${measures}`,
    context: { reason: 'unknown_measure', allowed: OUTCOME_MEASURES },
  })
  measure!: OutcomeMeasure;
}

function windowMonths(field: 'before' | 'after') {
  const outOfRange = {
    message: `${field} must be a whole number of months from 1 to ${OUTCOME_WINDOW_MAX_MONTHS}`,
    context: { reason: 'months_out_of_range' },
  };
  return [
    wholeNumber(),
    IsOptional(),
    IsInt(outOfRange),
    Min(1, outOfRange),
    Max(OUTCOME_WINDOW_MAX_MONTHS, outOfRange),
    IsDivisibleBy(OUTCOME_WINDOW_GRID_MONTHS, {
      message: `${field} must be on the published grid: ${grid}`,
      context: { reason: 'window_not_on_grid', grid },
    }),
  ];
}

/** `/v1/outcomes`: the measure and the windows around the index date. */
export class OutcomesQuery extends MeasureQuery {
  @ApiPropertyOptional({ description: `months before the index date, ${grid} (default 12)` })
  @allOf(windowMonths('before'))
  before?: number;

  @ApiPropertyOptional({ description: `months after the index date, ${grid} (default 12)` })
  @allOf(windowMonths('after'))
  after?: number;

  @ApiPropertyOptional({
    description:
      'months before the index date left out of the baseline, less than before (default 3: the dip)',
  })
  @wholeNumber()
  @IsOptional()
  @IsInt({
    message: 'washout must be a whole number of months, less than before',
    context: { reason: 'washout_out_of_range' },
  })
  @Min(0, {
    message: 'washout must be a whole number of months, less than before',
    context: { reason: 'washout_out_of_range' },
  })
  washout?: number;
}

/** `/v1/breakdowns/{dimension}`: one of the fixed dimensions. */
export class BreakdownParams {
  @ApiProperty({ enum: BREAKDOWN_DIMENSIONS })
  @IsIn(BREAKDOWN_DIMENSIONS, {
    message: `unknown dimension: one of ${BREAKDOWN_DIMENSIONS.join(', ')}`,
    context: { reason: 'unknown_dimension', allowed: BREAKDOWN_DIMENSIONS },
  })
  dimension!: BreakdownDimension;
}
