import { Controller, Get, Header, Query, Req } from '@nestjs/common';
import {
  AuditTrail,
  auditCsv,
  GovernedRequest,
  parseAuditQuery,
  RawAuditQuery,
  reportResult,
  RequiresPermission,
} from '@linkage/governance';

/** The audit trail, for governance officers: search, verify, export, monthly report. */
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @RequiresPermission('read:audit', { action: 'audit.search' })
  async search(@Query() query: RawAuditQuery, @Req() req: GovernedRequest) {
    const { filters, page } = parseAuditQuery(query);
    const result = await this.audit.search(filters, page);
    reportResult(req, { resultSize: result.entries.length });
    return result;
  }

  @Get('verify')
  @RequiresPermission('read:audit', { action: 'audit.verify' })
  async verify(@Req() req: GovernedRequest) {
    const result = await this.audit.verify();
    reportResult(req, { resultSize: result.entries });
    return result;
  }

  @Get('export')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="audit-trail.csv"')
  @RequiresPermission('read:audit', { action: 'audit.export' })
  async export(@Query() query: RawAuditQuery, @Req() req: GovernedRequest): Promise<string> {
    const { filters } = parseAuditQuery(query);
    const entries = [];
    for await (const entry of this.audit.entries(filters)) entries.push(entry);
    reportResult(req, { resultSize: entries.length });
    return auditCsv(entries, true);
  }

  @Get('reports/monthly')
  @RequiresPermission('read:audit', { action: 'audit.report.monthly' })
  async monthly(@Query('month') month: string, @Req() req: GovernedRequest) {
    const rows = await this.audit.monthlyReport(month ?? '');
    reportResult(req, { resultSize: rows.length });
    return { month, rows };
  }
}
