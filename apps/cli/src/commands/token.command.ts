import { Command } from 'commander';
import { ValidationError } from '@linkage/common';
import { checkDsa, isRole, mintToken, parseTtl, ROLES } from '@linkage/governance';
import {
  auditCliRead,
  authorizeCli,
  cliJwtSecret,
  openCliGovernance,
  resolveCliActor,
} from './cli-context';

interface TokenOptions {
  role: string;
  user: string;
  purpose: string;
  dsa: string;
  ttl?: string;
}

/**
 * `linkage token`: mints a bearer token and prints only the token on stdout. The DSA must be
 * registered, in force and allow that role and purpose. Minting is audited (`token.minted`).
 */
export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description(
      'mint a signed bearer token for one user, role, purpose and DSA (prints only the token)',
    )
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--user <id>', 'the user the token is for')
    .requiredOption('--purpose <purpose>', 'the purpose of use (must be allowed by the DSA)')
    .requiredOption('--dsa <ref>', 'the data sharing agreement (must be registered and in force)')
    .option('--ttl <duration>', 'lifetime: seconds or 30m, 8h, 7d (default 8h)')
    .action(async (opts: TokenOptions) => {
      if (!isRole(opts.role)) throw new ValidationError({ field: '/role', reason: 'role_unknown' });
      const ttlSeconds = parseTtl(opts.ttl);
      const secret = cliJwtSecret(true) as Buffer;
      const actor = await resolveCliActor();
      const g = await openCliGovernance();
      try {
        const params = {
          role: opts.role,
          purpose: opts.purpose,
          dsa: opts.dsa,
          subject: opts.user,
          ttlSeconds,
        };
        await authorizeCli(actor, 'admin:tokens', 'token.minted', params, g);
        const now = new Date();
        const dsa = await g.registry.get(opts.dsa);
        const problem = checkDsa(
          { user: opts.user, role: opts.role, purpose: opts.purpose, dsa: opts.dsa, via: 'token' },
          dsa,
          now,
        );
        if (problem) throw new ValidationError({ field: '/dsa', reason: problem });
        const { token, claims } = mintToken(
          { ...opts, role: opts.role, ttl: ttlSeconds },
          secret,
          now,
        );
        await auditCliRead(
          actor,
          'token.minted',
          { ...params, tokenId: claims.jti, expiresAt: new Date(claims.exp * 1000).toISOString() },
          1,
          {
            governance: g,
          },
        );
        process.stdout.write(`${token}\n`);
      } finally {
        await g.close();
      }
    });
}
