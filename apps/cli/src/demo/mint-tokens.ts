import { auditActorAction, mintToken } from '@linkage/governance';
import { DEMO_DSA, DEMO_PURPOSE, type DemoRun } from './demo-run';

export interface DemoTokens {
  analyst: string;
  governanceOfficer: string;
  ingest: string;
}

const DEMO_USERS = [
  ['demo-analyst', 'analyst'],
  ['demo-governance-officer', 'governance-officer'],
  ['demo-ingest', 'ingest'],
] as const;

/** One 8-hour token for each API's role under the demo DSA, each minting audited. */
export async function mintTokens({ jwtKey, audit, actor }: DemoRun): Promise<DemoTokens> {
  const [analyst, governanceOfficer, ingest] = DEMO_USERS.map(
    ([user, role]) =>
      mintToken({ user, role, purpose: DEMO_PURPOSE, dsa: DEMO_DSA, ttl: '8h' }, jwtKey).token,
  );
  for (const [user, role] of DEMO_USERS) {
    await auditActorAction(audit, actor, 'token.minted', {
      user,
      role,
      dsa: DEMO_DSA,
      ttl: '8h',
    });
  }
  return { analyst, governanceOfficer, ingest };
}
