import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../shared/clock';
import { randomBase62, sha256Hex } from '../../shared/crypto';
import { unauthorized } from '../../shared/errors';
import { jwtFailure } from './jwt-errors';
import type { AgentAccess } from './agent-keys-store';
import type { SigningKeys } from './signing-keys';

export const AGENT_AUDIENCE = 'agent';
export const AGENT_TOKEN_TYPE = 'agent+jwt';
const ALG = 'EdDSA';

export interface AgentClaims {
  /** The credential the token was exchanged for: an agent key, or the trust rule that matched. */
  agentKeyId: string;
  /** `sub`: the agent key id, or the AWS role ARN of a workload identity. */
  subject: string;
  tenantId: string;
  clusterId: string;
  access: AgentAccess;
  issuedAtMs: number;
  expiresAtMs: number;
}

/**
 * Short-lived agent JWTs: EdDSA, `aud=agent`, `typ=agent+jwt`, signed with the current
 * signing key. Verification pins algorithm, issuer, audience and type, so admin tokens and
 * API keys can never stand in for one. Verified tokens are cached by hash until they
 * expire, so the heartbeat path does not pay for a signature check on every beat.
 */
export function agentTokens(deps: { keys: SigningKeys; clock: Clock; issuer: string; ttlSeconds: number; cacheSize?: number }) {
  const { keys, clock, issuer, ttlSeconds } = deps;
  const cache = new LRUCache<string, AgentClaims>({ max: deps.cacheSize ?? 100_000 });

  return {
    ttlSeconds,

    /** `subject` (a workload identity's role ARN) becomes `sub`; the credential id then rides in `crd`. */
    async issue(input: { agentKeyId: string; tenantId: string; clusterId: string; access: AgentAccess; subject?: string }) {
      const { kid, privateKey } = await keys.current();
      const now = clock.now();
      const exp = Math.floor(now / 1000) + ttlSeconds;
      const extra = input.subject !== undefined ? { crd: input.agentKeyId } : {};
      const token = await new SignJWT({ tid: input.tenantId, cid: input.clusterId, acc: input.access, iat_ms: now, ...extra })
        .setProtectedHeader({ alg: ALG, kid, typ: AGENT_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(AGENT_AUDIENCE)
        .setSubject(input.subject ?? input.agentKeyId)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(exp)
        .setJti(randomBase62(16))
        .sign(privateKey);
      return { token, expiresAtMs: exp * 1000 };
    },

    /** True when `token` verified before and has not expired: known good without a signature check. */
    isVerified(token: string): boolean {
      const hit = cache.get(sha256Hex(token));
      return hit !== undefined && hit.expiresAtMs > clock.now();
    },

    async verify(token: string): Promise<AgentClaims> {
      const hash = sha256Hex(token);
      const hit = cache.get(hash);
      if (hit) {
        if (hit.expiresAtMs > clock.now()) return hit;
        cache.delete(hash);
        throw unauthorized('token_expired', 'The token has expired.');
      }
      let kid: string | undefined;
      try {
        kid = decodeProtectedHeader(token).kid;
      } catch {
        throw unauthorized('malformed_credentials', 'The bearer token is not a valid JWT.');
      }
      const key = kid ? await keys.publicKey(kid) : undefined;
      if (!key) throw unauthorized('unknown_signing_key', 'The token was signed by a key this server does not know.');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: [ALG],
          issuer,
          audience: AGENT_AUDIENCE,
          typ: AGENT_TOKEN_TYPE,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
          currentDate: new Date(clock.now()),
        }));
      } catch (e) {
        throw jwtFailure(e);
      }
      const { sub, tid, cid, acc, crd, iat_ms: iatMs, exp } = payload as JWTPayload & { tid?: unknown; cid?: unknown; acc?: unknown; crd?: unknown; iat_ms?: unknown };
      if (typeof tid !== 'string' || typeof cid !== 'string' || (acc !== 'read-write' && acc !== 'read-only') || typeof sub !== 'string' || (crd !== undefined && typeof crd !== 'string')) {
        throw unauthorized('invalid_token_claims', 'The agent token lacks its tenant, cluster or access claims.');
      }
      const claims: AgentClaims = {
        agentKeyId: typeof crd === 'string' ? crd : sub,
        subject: sub,
        tenantId: tid,
        clusterId: cid,
        access: acc,
        issuedAtMs: typeof iatMs === 'number' ? iatMs : payload.iat! * 1000,
        expiresAtMs: exp! * 1000,
      };
      cache.set(hash, claims, { ttl: Math.max(1, claims.expiresAtMs - clock.now()) });
      return claims;
    },
  };
}
export type AgentTokens = ReturnType<typeof agentTokens>;
