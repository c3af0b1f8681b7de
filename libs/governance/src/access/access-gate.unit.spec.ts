import { decideAccess } from './access-gate';
import type { Dsa } from '../dsa/dsa-registry';
import type { Actor, Permission } from './roles';

const now = new Date('2025-06-15T12:00:00Z');
const dsa: Dsa = {
  ref: 'DSA-7',
  purposes: ['service-evaluation'],
  roles: ['analyst', 'governance-officer', 'segmentation-job', 'ingest'],
  validUntil: '2025-06-15',
  createdAt: new Date('2025-01-01T00:00:00Z'),
  updatedAt: new Date('2025-01-01T00:00:00Z'),
  revokedAt: null,
};
const actor = (over: Partial<Actor> = {}): Actor => ({
  user: 'u1',
  role: 'analyst',
  purpose: 'service-evaluation',
  dsa: 'DSA-7',
  via: 'token',
  ...over,
});

describe('decideAccess', () => {
  it.each<[string, Actor, Permission]>([
    ['analyst reads outcomes', actor(), 'read:outcomes'],
    ['analyst reads segments', actor(), 'read:segments'],
    ['governance officer reads the trail', actor({ role: 'governance-officer' }), 'read:audit'],
    [
      'governance officer reads release requests',
      actor({ role: 'governance-officer' }),
      'release:read',
    ],
    ['segmentation job reads segments', actor({ role: 'segmentation-job' }), 'read:segments'],
    ['ingest posts records', actor({ role: 'ingest' }), 'ingest'],
    [
      'local operator (admin, no DSA) manages DSAs',
      actor({ role: 'admin', dsa: 'local-operator', via: 'local-operator' }),
      'admin:dsa',
    ],
  ])('allows: %s', (_name, who, permission) => {
    expect(decideAccess(who, dsa, permission, now)).toEqual({ allowed: true, actor: who });
  });

  it.each<[string, Actor, Dsa | undefined, Permission | undefined, string]>([
    ['analyst reads the trail', actor(), dsa, 'read:audit', 'role_lacks_permission'],
    [
      'governance officer reads health data',
      actor({ role: 'governance-officer' }),
      dsa,
      'read:outcomes',
      'role_lacks_permission',
    ],
    [
      'segmentation job reads outcomes',
      actor({ role: 'segmentation-job' }),
      dsa,
      'read:outcomes',
      'role_lacks_permission',
    ],
    ['analyst posts records', actor(), dsa, 'ingest', 'role_lacks_permission'],
    [
      'governance officer reviews a release',
      actor({ role: 'governance-officer' }),
      dsa,
      'release:review',
      'role_lacks_permission',
    ],
    [
      'governance officer downloads a release',
      actor({ role: 'governance-officer' }),
      dsa,
      'release:download',
      'role_lacks_permission',
    ],
    [
      'route declares no permission',
      actor({ role: 'admin' }),
      dsa,
      undefined,
      'permission_undeclared',
    ],
    ['unknown role', actor({ role: 'root' as never }), dsa, 'read:outcomes', 'role_unknown'],
    ['unregistered DSA', actor(), undefined, 'read:outcomes', 'dsa_not_registered'],
    [
      'revoked DSA',
      actor(),
      { ...dsa, revokedAt: new Date('2025-06-01T00:00:00Z') },
      'read:outcomes',
      'dsa_revoked',
    ],
    [
      'DSA past its last day',
      actor(),
      { ...dsa, validUntil: '2025-06-14' },
      'read:outcomes',
      'dsa_expired',
    ],
    ['role not in the DSA', actor({ role: 'admin' }), dsa, 'read:outcomes', 'dsa_role_not_allowed'],
    [
      'purpose not in the DSA',
      actor({ purpose: 'marketing' }),
      dsa,
      'read:outcomes',
      'dsa_purpose_not_allowed',
    ],
    [
      'token names another DSA',
      actor({ dsa: 'DSA-8' }),
      dsa,
      'read:outcomes',
      'dsa_not_registered',
    ],
  ])('refuses with 403: %s', (_name, who, theDsa, permission, reason) => {
    expect(decideAccess(who, theDsa, permission, now)).toMatchObject({
      allowed: false,
      status: 403,
      error: 'forbidden',
      reason,
    });
  });

  it.each(['token_missing', 'token_expired', 'token_invalid', 'token_claims_invalid'] as const)(
    'refuses with 401: %s',
    (rejected) => {
      expect(decideAccess({ rejected }, dsa, 'read:outcomes', now)).toEqual({
        allowed: false,
        status: 401,
        error: 'unauthenticated',
        reason: rejected,
      });
    },
  );
});
