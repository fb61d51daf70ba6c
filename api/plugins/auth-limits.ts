import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { LRUCache } from 'lru-cache';
import { sha256Hex } from '../../shared/crypto';
import { isAppError } from '../../shared/errors';
import { perMinute } from '../../shared/rate-limiter';
import { bearerOf, clientAddress, rateLimited, type LimitDeps } from './rate-limit';

/**
 * 401s that a legitimate client meets in its ordinary life (a token or key that expired or was
 * revoked, a signing key rotated away) or that cost us nothing (no credential at all). They
 * are not counted as failed authentications.
 */
const ORDINARY = new Set(['token_expired', 'token_revoked', 'credentials_revoked', 'credentials_expired', 'unknown_signing_key', 'missing_credentials']);

/**
 * Failed authentications, budgeted per client address and per presented key id (a bad secret
 * for a real key id), shared through Redis. Once a budget is spent, requests from that
 * address or for that key id are answered 429 `rate_limited` before any verification (no
 * store read, no signature check) until it refills, except credentials this process has
 * already seen succeed: a careless neighbour behind the same NAT, or someone guessing at a
 * key id, does not lock out the key's real holder.
 *
 * Register before the audience's authentication hook (it must run first).
 */
export function limitAuthFailures(
  scope: FastifyInstance,
  deps: LimitDeps & {
    perMinute: number;
    now(): number;
    /** The key id a credential names, when it has the shape of one of our secrets. */
    keyIdOf?(credential: string): string | undefined;
    /** Whether a credential is known good without checking it again (default: seen to succeed here). */
    knownGood?(credential: string): boolean;
  },
) {
  const byAddress = perMinute('auth-failures-address', deps.perMinute);
  const byKey = perMinute('auth-failures-key', deps.perMinute);
  const blocks = new LRUCache<string, number>({ max: 100_000 });
  const seenGood = deps.knownGood ? undefined : new LRUCache<string, true>({ max: 50_000, ttl: 15 * 60_000 });
  const knownGood = deps.knownGood ?? ((c: string) => seenGood!.has(sha256Hex(c)));

  const blockedUntil = (req: FastifyRequest, credential: string | undefined) => {
    // The common case, nothing blocked anywhere: two size checks.
    if (blocks.size === 0) return 0;
    let until = blocks.get(`a:${clientAddress(req.ip)}`) ?? 0;
    const keyId = credential && deps.keyIdOf?.(credential);
    if (keyId) until = Math.max(until, blocks.get(`k:${keyId}`) ?? 0);
    return until;
  };

  scope.addHook('onRequest', (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const credential = bearerOf(req);
    const until = blockedUntil(req, credential);
    const now = until > 0 ? deps.now() : 0;
    if (until > now && !(credential && knownGood(credential))) {
      deps.onLimited('auth-failures');
      return done(rateLimited(until - now, 'auth-failures'));
    }
    done();
  });

  scope.addHook('onError', async (req: FastifyRequest, _reply: FastifyReply, err: FastifyError) => {
    if (!isAppError(err) || err.status !== 401 || ORDINARY.has(err.code)) return;
    const credential = bearerOf(req);
    const address = clientAddress(req.ip);
    const keyId = err.code === 'invalid_credentials' && credential ? deps.keyIdOf?.(credential) : undefined;
    // Blocked once the budget is spent, so the next attempt is refused before any work.
    const [addressWait, keyWait] = await Promise.all([
      deps.limiter.spend(byAddress, address),
      keyId ? deps.limiter.spend(byKey, keyId) : 0,
    ]);
    const now = deps.now();
    if (addressWait > 0) blocks.set(`a:${address}`, now + addressWait, { ttl: addressWait });
    if (keyWait > 0) blocks.set(`k:${keyId}`, now + keyWait, { ttl: keyWait });
  });

  if (seenGood) {
    scope.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const credential = bearerOf(req);
      if (credential && (req.ctx || reply.statusCode < 400)) seenGood.set(sha256Hex(credential), true);
      done();
    });
  }
}
