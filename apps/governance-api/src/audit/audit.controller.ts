import { Controller, Get, Header, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import {
  AuditTrail,
  GovernedErrors,
  JsonResponse,
  auditCsv,
  GovernedRequest,
  parseAuditQuery,
  reportResult,
  RequiresPermission,
} from '@linkage/governance';
import {
  AUDIT_CSV_BODY,
  AUDIT_SEARCH_BODY,
  AUDIT_VERIFY_BODY,
  MONTHLY_REPORT_BODY,
} from '../http/response-schemas';
import { AuditSearchQuery, MonthlyReportQuery } from './audit.dto';

/** The audit trail, for governance officers: search, verify, export, monthly report. */
@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @RequiresPermission('read:audit', { action: 'audit.search' })
  @JsonResponse('Audit entries matching the filters, a page at a time', AUDIT_SEARCH_BODY)
  async search(@Query() query: AuditSearchQuery, @Req() req: GovernedRequest) {
    const { filters, page } = parseAuditQuery(query);
    const result = await this.audit.search(filters, page);
    reportResult(req, { resultSize: result.entries.length });
    return result;
  }

  @Get('verify')
  @RequiresPermission('read:audit', { action: 'audit.verify' })
  @JsonResponse('Whether the hash chain and its signed head are intact', AUDIT_VERIFY_BODY)
  async verify(@Req() req: GovernedRequest) {
    const result = await this.audit.verify();
    reportResult(req, { resultSize: result.entries });
    return result;
  }

  @Get('export')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="audit-trail.csv"')
  @RequiresPermission('read:audit', { action: 'audit.export' })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'The matching audit entries as CSV',
    content: { 'text/csv': { schema: AUDIT_CSV_BODY } },
  })
  @GovernedErrors()
  async export(@Query() query: AuditSearchQuery, @Req() req: GovernedRequest): Promise<string> {
    const { filters } = parseAuditQuery(query);
    const entries = [];
    for await (const entry of this.audit.entries(filters)) entries.push(entry);
    reportResult(req, { resultSize: entries.length });
    return auditCsv(entries, true);
  }

  /**
   * Accesses by actor and purpose in one month: JSON, or CSV with `Accept: text/csv` (the file
   * the page downloads, so it holds what the API answered and the download is audited). Counts
   * of staff accesses, not of people in the data: not a statistic about people, so the
   * publishing gate does not round them (an officer needs the exact number of refusals).
   */
  @Get('reports/monthly')
  @RequiresPermission('read:audit', { action: 'audit.report.monthly' })
  @JsonResponse('Accesses per actor and purpose in one month', MONTHLY_REPORT_BODY)
  async monthly(
    @Query() query: MonthlyReportQuery,
    @Req() req: GovernedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const month = query.month;
    const rows = await this.audit.monthlyReport(month);
    reportResult(req, { resultSize: rows.length });
    if (/\btext\/csv\b/i.test(String(req.headers.accept ?? ''))) {
      // `month` is YYYY-MM here: the DTO (and monthlyReport) refuse anything else.
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="access-report-${month}.csv"`);
      return stringify(
        rows.map((r) => [month, r.actor, r.purpose ?? '', r.accesses, r.denied]),
        { header: true, columns: ['month', 'actor', 'purpose', 'accesses', 'denied'] },
      );
    }
    return { month, rows };
  }
}
