import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { allOf, emptyIsAbsent, wholeNumber, type RawAuditQuery } from '@linkage/governance';

const OUTCOMES = ['ok', 'denied', 'error'] as const;

const text = (field: string): PropertyDecorator[] => [
  emptyIsAbsent(),
  IsOptional(),
  IsString({
    message: `${field} must be given once, as text`,
    context: { reason: 'not_a_string' },
  }),
];
const instant = (field: string): PropertyDecorator[] => [
  emptyIsAbsent(),
  IsOptional(),
  IsString({
    message: `${field} must be given once, as text`,
    context: { reason: 'not_a_string' },
  }),
  IsDateString(
    {},
    {
      message: `${field} must be an ISO 8601 date or date and time, e.g. 2025-03-01T00:00:00Z`,
      context: { reason: 'date_invalid' },
    },
  ),
];
const positive = (field: string): PropertyDecorator[] => {
  const notPositive = {
    message: `${field} must be a whole number from 1`,
    context: { reason: 'not_a_positive_integer' },
  };
  return [wholeNumber(), IsOptional(), IsInt(notPositive), Min(1, notPositive)];
};

/** `GET /v1/audit` and `/v1/audit/export`: the search filters (all optional) and the page. */
export class AuditSearchQuery implements RawAuditQuery {
  @ApiPropertyOptional({ description: 'the acting user' })
  @allOf(text('actor'))
  actor?: string;

  @ApiPropertyOptional({ description: "the actor's role, e.g. analyst" })
  @allOf(text('role'))
  role?: string;

  @ApiPropertyOptional({ description: 'the purpose of use' })
  @allOf(text('purpose'))
  purpose?: string;

  @ApiPropertyOptional({ description: 'the data sharing agreement' })
  @allOf(text('dsa'))
  dsa?: string;

  @ApiPropertyOptional({ description: 'the action, e.g. read outcomes' })
  @allOf(text('action'))
  action?: string;

  @ApiPropertyOptional({ enum: OUTCOMES })
  @emptyIsAbsent()
  @IsOptional()
  @IsIn(OUTCOMES, {
    message: `outcome must be one of ${OUTCOMES.join(', ')}`,
    context: { reason: 'outcome_invalid', allowed: OUTCOMES },
  })
  outcome?: string;

  @ApiPropertyOptional({ description: 'the request id of one call' })
  @allOf(text('requestId'))
  requestId?: string;

  @ApiPropertyOptional({ description: 'entries at or after this instant (ISO 8601)' })
  @allOf(instant('from'))
  from?: string;

  @ApiPropertyOptional({ description: 'entries before this instant (ISO 8601)' })
  @allOf(instant('to'))
  to?: string;

  @ApiPropertyOptional({ description: 'page number, from 1', type: 'integer' })
  @allOf(positive('page'))
  page?: number;

  @ApiPropertyOptional({ description: 'entries per page, from 1', type: 'integer' })
  @allOf(positive('pageSize'))
  pageSize?: number;
}

/** `GET /v1/audit/reports/monthly`: the month, `YYYY-MM`. */
export class MonthlyReportQuery {
  @ApiPropertyOptional({ description: 'the month, YYYY-MM', example: '2025-03' })
  @IsString({
    message: 'month is required, as YYYY-MM',
    context: { reason: 'month_invalid' },
  })
  @Matches(/^\d{4}-(0[1-9]|1[0-2])$/, {
    message: 'month must be YYYY-MM (01 to 12)',
    context: { reason: 'month_invalid' },
  })
  month!: string;
}
