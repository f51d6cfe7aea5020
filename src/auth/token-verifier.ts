/**
 * Verifies bearer tokens (JWT) with jose and turns their claims into an Identity.
 *
 * Algorithms are pinned per key type: HS256 for the shared secret, RS256/ES256 for the identity
 * provider's JWKS — never `none`, and never an HS token checked against a JWKS key. `exp` and `sub`
 * are required; `kid` only picks a JWKS key (jose's remote key set caches and re-fetches with a
 * cooldown, so an unknown `kid` cannot make us hammer the provider).
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { ROLES, type Identity, type Role } from '../domain/access/identity.js';
import { isRoomGrant } from '../domain/access/room-rights.js';
import type { AuthConfig } from '../config.js';

const HS_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'ES256'];
const MAX_TOKEN_LENGTH = 8192;
/** TOKEN_MAX_LIFETIME_S's default: a day. */
export const DEFAULT_MAX_LIFETIME_S = 86_400;

/** Why a token was refused; the message is safe to show the caller. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

export interface TokenVerifier {
  /** The identity a token proves, or an AuthError saying why not. */
  verify(token: string): Promise<Identity>;
}

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const secret = config.secret ? new TextEncoder().encode(config.secret) : null;
  const jwks = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      })
    : null;
  const common: JWTVerifyOptions = {
    requiredClaims: ['exp', 'sub'],
    clockTolerance: config.clockToleranceS,
    ...(config.issuer ? { issuer: config.issuer } : {}),
    ...(config.audience ? { audience: config.audience } : {}),
  };

  return {
    async verify(token) {
      if (!token || token.length > MAX_TOKEN_LENGTH)
        throw new AuthError('The bearer token is missing or too long.');
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw new AuthError('The bearer token is not a JWT.');
      }
      let payload: JWTPayload;
      try {
        if (alg && HS_ALGORITHMS.includes(alg) && secret) {
          ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: HS_ALGORITHMS }));
        } else if (alg && JWKS_ALGORITHMS.includes(alg) && jwks) {
          ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: JWKS_ALGORITHMS }));
        } else {
          throw new AuthError(`Tokens signed with ${alg ?? 'no algorithm'} are not accepted here.`);
        }
      } catch (error) {
        throw toAuthError(error);
      }
      const identity = identityOf(payload);
      // A token that stays valid for ever cannot be withdrawn; a far `exp` (1e15) also overflows Date.
      const maxLifetimeS = config.maxLifetimeS ?? DEFAULT_MAX_LIFETIME_S;
      if (identity.exp !== null && identity.exp - Date.now() / 1000 > maxLifetimeS + config.clockToleranceS) {
        throw new AuthError(
          `The token expires more than ${maxLifetimeS} s from now (TOKEN_MAX_LIFETIME_S): ask for a shorter-lived one.`,
        );
      }
      return identity;
    },
  };
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthError('The token has expired.');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new AuthError(`The token's "${error.claim}" claim is not accepted (${error.reason}).`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new AuthError('The token signature is not valid.');
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new AuthError('No key of the issuer matches this token.');
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new AuthError('The token algorithm is not accepted.');
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JOSEError) {
    return new AuthError('The token could not be verified.');
  }
  return new AuthError('The token could not be verified.');
}

function identityOf(payload: JWTPayload): Identity {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || !sub || sub.length > 256)
    throw new AuthError('The token has no usable "sub".');
  const roles = claimList(payload.roles, 'roles').filter((r): r is Role =>
    (ROLES as readonly string[]).includes(r),
  );
  const rooms = claimList(payload.rooms, 'rooms');
  const bad = rooms.filter((room) => !isRoomGrant(room));
  if (bad.length)
    throw new AuthError(`The token's "rooms" claim has entries that are not rooms: ${bad.join(', ')}.`);
  return { sub, roles, rooms, exp: typeof exp === 'number' ? exp : null };
}

function claimList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 100 || value.some((v) => typeof v !== 'string')) {
    throw new AuthError(`The token's "${name}" claim must be a list of at most 100 strings.`);
  }
  return value as string[];
}

/** The token of an `Authorization: Bearer …` header; null when there is none. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? (match[1] ?? null) : '';
}

/** The token a graphql-ws client sends in `connection_init`: `authorization: "Bearer …"` or `token`. */
export function connectionParamsToken(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const authorization = params.authorization ?? params.Authorization;
  if (typeof authorization === 'string') return bearerToken(authorization);
  if (typeof params.token === 'string') return params.token;
  return null;
}
