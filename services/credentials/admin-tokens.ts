import path from 'node:path';
import { SignJWT, createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { readOrCreateSecretFile } from '../../shared/secret-files';
import { forbidden, unauthorized } from '../../shared/errors';
import { randomBase62 } from '../../shared/crypto';
import { jwtFailure } from './jwt-errors';

export const ADMIN_ROLES = ['admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
const LOCAL_TYP = 'admin+jwt';
const LOCAL_ALG = 'EdDSA';

export interface AdminIdentity {
  sub: string;
  roles: AdminRole[];
}

export interface LocalAdminIssuer {
  kid: string;
  issuer: string;
  audience: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  mint(input: { sub: string; roles: AdminRole[]; ttlSeconds: number }): Promise<string>;
}

/**
 * The embedded admin issuer: an Ed25519 key generated on first use and kept under the data
 * directory (0600), so `npm run admin-token` and the server agree whether or not the server
 * is running.
 */
export async function loadLocalAdminIssuer(dataDir: string, issuer: string, audience: string): Promise<LocalAdminIssuer> {
  const file = path.join(dataDir, 'keys', 'admin-issuer.jwk.json');
  // Generating is async, the file helper is sync: generate first, keep it only if no file exists.
  const { privateKey: fresh } = await generateKeyPair(LOCAL_ALG, { extractable: true });
  const freshJwk = { ...(await exportJWK(fresh)), kid: `admin-${randomBase62(12)}`, alg: LOCAL_ALG };
  const jwk = JSON.parse(readOrCreateSecretFile(file, () => JSON.stringify(freshJwk))) as JWK & { kid: string };
  const privateKey = (await importJWK(jwk, LOCAL_ALG)) as CryptoKey;
  const { d: _d, ...publicJwk } = jwk;
  const publicKey = (await importJWK(publicJwk, LOCAL_ALG)) as CryptoKey;
  return {
    kid: jwk.kid,
    issuer,
    audience,
    privateKey,
    publicKey,
    mint: ({ sub, roles, ttlSeconds }) =>
      new SignJWT({ roles })
        .setProtectedHeader({ alg: LOCAL_ALG, kid: jwk.kid, typ: LOCAL_TYP })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(sub)
        .setIssuedAt()
        .setJti(randomBase62(16))
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey),
  };
}

export interface AdminVerifier {
  verify(token: string): Promise<AdminIdentity>;
}

/** Verifies admin JWTs: issuer, audience and algorithms pinned; local or IdP (JWKS) keys. */
export function adminVerifier(opts: {
  issuer: string;
  audience: string;
  local?: LocalAdminIssuer;
  jwksUrl?: string;
  algorithms?: string[];
}): AdminVerifier {
  const getKey: JWTVerifyGetKey | CryptoKey = opts.jwksUrl
    ? createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
    : opts.local!.publicKey;
  const algorithms = opts.jwksUrl ? (opts.algorithms ?? ['RS256', 'ES256', 'EdDSA']) : [LOCAL_ALG];
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey as JWTVerifyGetKey, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms,
          ...(opts.jwksUrl ? {} : { typ: LOCAL_TYP }),
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (e) {
        throw jwtFailure(e);
      }
      const roles = (Array.isArray(payload.roles) ? payload.roles : []).filter((r): r is AdminRole =>
        (ADMIN_ROLES as readonly string[]).includes(r as string),
      );
      if (roles.length === 0) throw forbidden('insufficient_role', 'The admin token carries no Harbormaster role.');
      if (typeof payload.sub !== 'string' || payload.sub === '') throw unauthorized('invalid_token_claims', 'The token has no subject.');
      return { sub: payload.sub, roles };
    },
  };
}
