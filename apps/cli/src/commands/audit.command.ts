import * as fs from 'node:fs';
import { Command } from 'commander';
import { ConfigurationError } from '@linkage/common';
import { auditCsv, AuditEntry, parseAuditQuery, RawAuditQuery } from '@linkage/governance';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { TOKEN_OPTION_HELP } from './actor-options';

interface ActingOptions {
  token?: string;
  purpose?: string;
}

function withFilters(command: Command): Command {
  return command
    .option('--actor <user>', 'only this user')
    .option('--role <role>', 'only this role')
    .option('--purpose <purpose>', 'only this purpose')
    .option('--dsa <ref>', 'only this DSA')
    .option('--action <action>', 'only this action, e.g. audit.search')
    .option('--outcome <outcome>', 'ok, denied or error')
    .option('--from <iso>', 'at or after this time')
    .option('--to <iso>', 'before this time')
    .option('--token <token>', TOKEN_OPTION_HELP);
}

/** The filters given, as audit parameters (only those set). */
function filterParams(query: RawAuditQuery): Record<string, string | number> {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number
  >;
}

function line(e: AuditEntry): string {
  return [
    e.sequence,
    e.at.toISOString(),
    e.actor,
    e.role ?? '-',
    e.purpose ?? '-',
    e.dsa ?? '-',
    e.action,
    `${e.outcome}${e.httpStatus ? `/${e.httpStatus}` : ''}${e.reason ? `:${e.reason}` : ''}`,
    `rows=${e.resultSize ?? '-'}`,
    `suppressed=${e.cellsSuppressed ?? '-'}`,
  ].join('  ');
}

/** `linkage audit verify|search|export`: the audit trail for governance officers (and admins). */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the audit trail: verify, search, export');

  audit
    .command('verify')
    .description(
      'recompute the hash chain and check it against the signed head (exit 1 when broken)',
    )
    .option('--json', 'one JSON object: intact, entries, firstBroken when broken')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (opts: { json?: boolean } & ActingOptions) => {
      const actor = await resolveCliActor({ token: opts.token });
      const g = await openCliGovernance();
      try {
        if (!g.secret) {
          throw new ConfigurationError(
            'audit verify needs LINKAGE_JWT_SECRET or LINKAGE_JWT_SECRET_FILE',
            'jwt_secret_missing',
          );
        }
        await authorizeCli(actor, 'read:audit', 'audit.verify', {}, g);
        const result = await g.audit.verify();
        await auditCliRead(actor, 'audit.verify', {}, result.entries, { governance: g });
        const { signedHead: _head, ...summary } = result;
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else if (result.intact)
          process.stdout.write(`audit trail intact: ${result.entries} entries\n`);
        else {
          process.stdout.write(
            `audit trail BROKEN at entry ${result.firstBroken?.sequence}: ${result.firstBroken?.reason} (${result.entries} entries)\n`,
          );
        }
        if (!result.intact) process.exitCode = 1;
      } finally {
        await g.close();
      }
    });

  withFilters(audit.command('search'))
    .description('search the audit trail, newest first')
    .option('--page <n>', 'page number (default 1)')
    .option('--page-size <n>', 'entries per page (default 50)')
    .option('--json', 'one JSON object: entries, total, page, pageSize')
    .action(async (opts: RawAuditQuery & ActingOptions & { json?: boolean }) => {
      const actor = await resolveCliActor({ token: opts.token });
      const { token: _t, json, ...raw } = opts;
      const { filters, page } = parseAuditQuery(raw);
      const params = filterParams(raw);
      const g = await openCliGovernance();
      try {
        await authorizeCli(actor, 'read:audit', 'audit.search', params, g);
        const result = await g.audit.search(filters, page);
        await auditCliRead(actor, 'audit.search', params, result.entries.length, { governance: g });
        if (json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        for (const e of result.entries) process.stdout.write(`${line(e)}\n`);
        process.stdout.write(
          `page ${result.page}: ${result.entries.length} of ${result.total} entries\n`,
        );
      } finally {
        await g.close();
      }
    });

  withFilters(audit.command('export'))
    .description('export the audit trail (or the filtered part) as CSV')
    .requiredOption('--out <file>', 'the CSV file to write')
    .action(async (opts: RawAuditQuery & ActingOptions & { out: string }) => {
      const actor = await resolveCliActor({ token: opts.token });
      const { token: _t, out, ...raw } = opts;
      const { filters } = parseAuditQuery(raw);
      const params = filterParams(raw);
      const g = await openCliGovernance();
      try {
        await authorizeCli(actor, 'read:audit', 'audit.export', params, g);
        const fd = fs.openSync(out, 'w');
        let n = 0;
        try {
          fs.writeSync(fd, auditCsv([], true));
          let batch: AuditEntry[] = [];
          for await (const entry of g.audit.entries(filters)) {
            batch.push(entry);
            if (batch.length === 1000) {
              fs.writeSync(fd, auditCsv(batch, false));
              n += batch.length;
              batch = [];
            }
          }
          fs.writeSync(fd, auditCsv(batch, false));
          n += batch.length;
        } finally {
          fs.closeSync(fd);
        }
        await auditCliRead(actor, 'audit.export', params, n, { governance: g });
        process.stdout.write(`exported ${n} entries to ${out}\n`);
      } finally {
        await g.close();
      }
    });
}
