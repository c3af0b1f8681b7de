import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ValidationError } from '@linkage/common';
import { Actor, isRole, Role } from '../access/roles';

export const TOKEN_ISSUER = 'linkage';
const DEFAULT_TTL_SECONDS = 8 * 3600;
const MAX_TTL_SECONDS = 366 * 24 * 3600;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** The claims of a linkage bearer token. */
export interface TokenClaims {
  sub: string;
  role: Role;
  purpose: string;
  dsa: string;
  jti: string;
  iss: string;
  iat: number;
  exp: number;
}

export interface MintTokenRequest {
  user: string;
  role: Role;
  purpose: string;
  dsa: string;
  /** Lifetime: seconds, or a number with s/m/h/d (e.g. `8h`); default 8 hours. */
  ttl?: string | number;
}

/** Why a presented token was not accepted (all answered with 401). */
export type TokenRejectionReason =
  'token_missing' | 'token_expired' | 'token_invalid' | 'token_claims_invalid';

export interface TokenRejection {
  rejected: TokenRejectionReason;
}

/** Parses `90`, `30s`, `15m`, `8h`, `7d` into seconds; refuses anything else or out of range. */
export function parseTtl(ttl: string | number | undefined): number {
  if (ttl === undefined) return DEFAULT_TTL_SECONDS;
  const match = /^(\d+)\s*([smhd]?)$/.exec(String(ttl).trim());
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 } as const;
  const seconds = match ? Number(match[1]) * unit[match[2] as keyof typeof unit] : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw new ValidationError({ field: '/ttl', reason: 'ttl_invalid' });
  }
  return seconds;
}

/**
 * Signs a bearer token (HS256, issuer `linkage`) for one user, role, purpose and DSA.
 * `now` is passed in so callers (and tests) control the clock.
 */
export function mintToken(
  request: MintTokenRequest,
  secret: Buffer,
  now: Date = new Date(),
): { token: string; claims: TokenClaims } {
  if (!isRole(request.role)) throw new ValidationError({ field: '/role', reason: 'role_unknown' });
  for (const field of ['user', 'purpose', 'dsa'] as const) {
    if (!NAME_PATTERN.test(request[field] ?? '')) {
      throw new ValidationError({ field: `/${field}`, reason: 'name_invalid' });
    }
  }
  const iat = Math.floor(now.getTime() / 1000);
  const claims: TokenClaims = {
    sub: request.user,
    role: request.role,
    purpose: request.purpose,
    dsa: request.dsa,
    jti: randomUUID(),
    iss: TOKEN_ISSUER,
    iat,
    exp: iat + parseTtl(request.ttl),
  };
  const token = jwt.sign(claims, secret, { algorithm: 'HS256' });
  return { token, claims };
}

/**
 * Verifies signature (HS256 only), issuer, expiry and claim shapes. Never throws: a rejection
 * says why, and never echoes the token.
 */
export function verifyToken(
  token: string | undefined,
  secret: Buffer,
  now: Date = new Date(),
): TokenClaims | TokenRejection {
  if (!token) return { rejected: 'token_missing' };
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const known = verifiedTokens.get(secret)?.get(token);
  if (known) return stillInForce(known, nowSeconds);
  let payload: unknown;
  try {
    payload = jwt.verify(token, secretKeyOf(secret), {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      clockTimestamp: nowSeconds,
    });
  } catch (error) {
    return { rejected: error instanceof jwt.TokenExpiredError ? 'token_expired' : 'token_invalid' };
  }
  const p = payload as Partial<TokenClaims>;
  const strings = [p.sub, p.role, p.purpose, p.dsa, p.jti];
  if (strings.some((s) => typeof s !== 'string' || s === '') || typeof p.exp !== 'number') {
    return { rejected: 'token_claims_invalid' };
  }
  return rememberVerified(secret, token, payload as TokenClaims);
}

/**
 * Tokens already verified (signature, issuer, claim shapes), per secret, the most recent
 * `VERIFIED_TOKENS_KEPT`. An analyst's client sends the same token with every request, and
 * checking its HMAC and parsing it again took about 4% of the analytics API's event loop at
 * 50 clients (docs/BENCHMARKS.md). The token string, signature included, is the key, so a
 * token differing in any byte is verified afresh; expiry (and `nbf`) are checked on every use.
 */
const verifiedTokens = new WeakMap<Buffer, Map<string, Readonly<TokenClaims & { nbf?: number }>>>();
const VERIFIED_TOKENS_KEPT = 1024;

function rememberVerified(secret: Buffer, token: string, claims: TokenClaims): TokenClaims {
  let known = verifiedTokens.get(secret);
  if (!known) {
    known = new Map();
    verifiedTokens.set(secret, known);
  }
  if (known.size >= VERIFIED_TOKENS_KEPT) known.delete(known.keys().next().value as string);
  known.set(token, Object.freeze(claims));
  return claims;
}

/** A remembered token's claims, or why it no longer admits (as jsonwebtoken would decide). */
function stillInForce(
  claims: Readonly<TokenClaims & { nbf?: number }>,
  nowSeconds: number,
): TokenClaims | TokenRejection {
  if (nowSeconds >= claims.exp) return { rejected: 'token_expired' };
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds)
    return { rejected: 'token_invalid' };
  return claims;
}

/**
 * The secret as a key object, made once per secret buffer: given a buffer, jsonwebtoken first
 * tries it as a public key and catches the failure, which cost about 1 ms of CPU per request
 * under load.
 */
const secretKeys = new WeakMap<Buffer, KeyObject>();
function secretKeyOf(secret: Buffer): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(secret);
    secretKeys.set(secret, key);
  }
  return key;
}

export function isTokenRejection(value: unknown): value is TokenRejection {
  return typeof value === 'object' && value !== null && 'rejected' in value;
}

/** The actor a verified token stands for (the role is checked later, by the access gate). */
export function actorFromClaims(claims: TokenClaims): Actor {
  return {
    user: claims.sub,
    role: claims.role,
    purpose: claims.purpose,
    dsa: claims.dsa,
    tokenId: claims.jti,
    via: 'token',
  };
}

/** The bearer token of an `Authorization` header value, if any. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match ? match[1] : undefined;
}
