import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ValidationError } from '@linkage/common';
import { bearerToken, mintToken, parseTtl, verifyToken } from './token';

const secret = randomBytes(32);
const now = new Date('2025-06-15T12:00:00Z');
const request = {
  user: 'ann',
  role: 'analyst' as const,
  purpose: 'service-evaluation',
  dsa: 'DSA-7',
};

describe('tokens', () => {
  it('mints HS256 tokens with the linkage claims and verifies them', () => {
    const { token, claims } = mintToken({ ...request, ttl: '1h' }, secret, now);
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
    expect(claims).toMatchObject({
      sub: 'ann',
      role: 'analyst',
      purpose: 'service-evaluation',
      dsa: 'DSA-7',
      iss: 'linkage',
    });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(verifyToken(token, secret, now)).toEqual(claims);
  });

  it.each<[string, (t: string) => string | undefined, Date, string]>([
    ['missing', () => undefined, now, 'token_missing'],
    ['expired', (t) => t, new Date(now.getTime() + 3601_000), 'token_expired'],
    [
      'tampered',
      (t) => {
        const [h, p, s] = t.split('.');
        const body = JSON.parse(Buffer.from(p, 'base64url').toString());
        body.role = 'admin';
        return [h, Buffer.from(JSON.stringify(body)).toString('base64url'), s].join('.');
      },
      now,
      'token_invalid',
    ],
    [
      'signed with another secret',
      () => mintToken(request, randomBytes(32), now).token,
      now,
      'token_invalid',
    ],
    [
      'unsigned (alg none)',
      () => jwt.sign({ ...request, sub: 'ann', iss: 'linkage' }, '', { algorithm: 'none' }),
      now,
      'token_invalid',
    ],
    ['garbage', () => 'not.a.token', now, 'token_invalid'],
  ])('rejects a token that is %s', (_name, make, at, reason) => {
    const { token } = mintToken({ ...request, ttl: '1h' }, secret, now);
    expect(verifyToken(make(token), secret, at)).toEqual({ rejected: reason });
  });

  it('checks a token it verified before again for expiry, and verifies any other bytes afresh', () => {
    const { token, claims } = mintToken({ ...request, ttl: '1h' }, secret, now);
    expect(verifyToken(token, secret, now)).toEqual(claims);
    expect(verifyToken(token, secret, now)).toEqual(claims); // remembered
    expect(verifyToken(token, secret, new Date(now.getTime() + 3599_000))).toEqual(claims);
    expect(verifyToken(token, secret, new Date(now.getTime() + 3600_000))).toEqual({
      rejected: 'token_expired',
    });
    const [h, p, sig] = token.split('.');
    const body = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = [
      h,
      Buffer.from(JSON.stringify({ ...body, role: 'admin' })).toString('base64url'),
      sig,
    ];
    expect(verifyToken(forged.join('.'), secret, now)).toEqual({ rejected: 'token_invalid' });
    expect(verifyToken(`${token}x`, secret, now)).toEqual({ rejected: 'token_invalid' });
    expect(verifyToken(token, randomBytes(32), now)).toEqual({ rejected: 'token_invalid' });
    expect(verifyToken(token, secret, now)).toEqual(claims);
  });

  it('keeps a remembered token to its not-before time', () => {
    const at = Math.floor(now.getTime() / 1000);
    const token = jwt.sign(
      {
        sub: 'ann',
        role: 'analyst',
        purpose: 'p',
        dsa: 'DSA-7',
        jti: 'j-1',
        iss: 'linkage',
        iat: at,
        nbf: at + 60,
        exp: at + 3600,
      },
      secret,
      { algorithm: 'HS256' },
    );
    expect(verifyToken(token, secret, now)).toEqual({ rejected: 'token_invalid' });
    const later = new Date(now.getTime() + 120_000);
    expect(verifyToken(token, secret, later)).toMatchObject({ sub: 'ann', nbf: at + 60 });
    expect(verifyToken(token, secret, now)).toEqual({ rejected: 'token_invalid' });
  });

  it('refuses unknown roles and odd names when minting', () => {
    expect(() => mintToken({ ...request, role: 'root' as never }, secret, now)).toThrow(
      ValidationError,
    );
    expect(() => mintToken({ ...request, purpose: 'has space' }, secret, now)).toThrow(
      ValidationError,
    );
  });

  it.each([
    ['90', 90],
    ['30s', 30],
    ['15m', 900],
    ['8h', 28800],
    ['7d', 604800],
  ])('parses ttl %s', (ttl, seconds) => expect(parseTtl(ttl)).toBe(seconds));

  it.each(['0', '-1h', '1y', 'soon', '400d'])('refuses ttl %s', (ttl) => {
    expect(() => parseTtl(ttl)).toThrow(ValidationError);
  });

  it('reads bearer tokens from the Authorization header', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
