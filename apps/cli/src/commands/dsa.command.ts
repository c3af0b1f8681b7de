import { Command } from 'commander';
import { AddDsaCommand, openDsaCommandBus, RevokeDsaCommand } from '../../../governance-api/src';
import { auditCliRead, authorizeCli, openCliGovernance, resolveCliActor } from './cli-context';
import { TOKEN_OPTION_HELP } from './actor-options';

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

interface ActingOptions {
  token?: string;
  purpose?: string;
}

/** `linkage dsa add|list|revoke`: the DSA registry. Every change (and listing) is audited. */
export function registerDsaCommand(program: Command): void {
  const dsa = program.command('dsa').description('data sharing agreements: add, list, revoke');

  dsa
    .command('add <ref>')
    .description('register a DSA (or amend one that is not revoked)')
    .requiredOption('--purpose <purposes>', 'allowed purposes, comma-separated', list)
    .requiredOption('--roles <roles>', 'allowed roles, comma-separated', list)
    .option('--until <date>', 'last day in force, YYYY-MM-DD (UTC)')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(
      async (
        ref: string,
        opts: { purpose: string[]; roles: string[]; until?: string } & ActingOptions,
      ) => {
        const actor = await resolveCliActor({ token: opts.token });
        const g = await openCliGovernance();
        try {
          const params = {
            ref,
            purposes: opts.purpose,
            roles: opts.roles,
            validUntil: opts.until ?? null,
          };
          await authorizeCli(actor, 'admin:dsa', 'dsa.added', params, g);
          const bus = await openDsaCommandBus(g.registry);
          const { dsa: stored, created } = await bus.commands
            .execute(
              new AddDsaCommand(
                {
                  ref,
                  purposes: opts.purpose,
                  roles: opts.roles,
                  validUntil: opts.until ?? null,
                },
                new Date(),
              ),
            )
            .finally(() => bus.close());
          await auditCliRead(actor, created ? 'dsa.added' : 'dsa.amended', params, 1, {
            governance: g,
          });
          process.stdout.write(
            `${created ? 'added' : 'amended'} ${stored.ref}: purposes ${stored.purposes.join(',')}; roles ${stored.roles.join(',')}; until ${stored.validUntil ?? 'open-ended'}\n`,
          );
        } finally {
          await g.close();
        }
      },
    );

  dsa
    .command('list')
    .description('list registered DSAs and whether each is in force')
    .option('--json', 'one JSON array')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (opts: { json?: boolean } & ActingOptions) => {
      const actor = await resolveCliActor({ token: opts.token });
      const g = await openCliGovernance();
      try {
        await authorizeCli(actor, 'admin:dsa', 'dsa.listed', {}, g);
        const now = new Date();
        const rows = (await g.registry.list()).map((d) => ({
          ref: d.ref,
          purposes: d.purposes,
          roles: d.roles,
          validUntil: d.validUntil,
          revokedAt: d.revokedAt?.toISOString() ?? null,
          status: d.revokedAt
            ? 'revoked'
            : d.validUntil && now.getTime() >= Date.parse(`${d.validUntil}T00:00:00Z`) + 86_400_000
              ? 'expired'
              : 'in-force',
        }));
        await auditCliRead(actor, 'dsa.listed', {}, rows.length, { governance: g });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        for (const r of rows) {
          process.stdout.write(
            `${r.ref}  ${r.status}  purposes ${r.purposes.join(',')}  roles ${r.roles.join(',')}  until ${r.validUntil ?? '-'}\n`,
          );
        }
        process.stdout.write(`${rows.length} DSA(s)\n`);
      } finally {
        await g.close();
      }
    });

  dsa
    .command('revoke <ref>')
    .description('revoke a DSA: tokens naming it are refused from now on')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (ref: string, opts: ActingOptions) => {
      const actor = await resolveCliActor({ token: opts.token });
      const g = await openCliGovernance();
      try {
        await authorizeCli(actor, 'admin:dsa', 'dsa.revoked', { ref }, g);
        const bus = await openDsaCommandBus(g.registry);
        const revoked = await bus.commands
          .execute(new RevokeDsaCommand(ref, new Date()))
          .finally(() => bus.close());
        await auditCliRead(actor, 'dsa.revoked', { ref }, 1, { governance: g });
        process.stdout.write(`revoked ${revoked.ref} at ${revoked.revokedAt?.toISOString()}\n`);
      } finally {
        await g.close();
      }
    });
}
