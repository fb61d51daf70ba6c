import type { RedisClient } from '../../shared/redis';
import { sha256Hex } from '../../shared/crypto';
import { unavailable } from '../../shared/errors';

/**
 * Each signed identity request is good once. The first use of a signature claims it in Redis
 * (shared by every API process) for as long as the signature could still pass the freshness
 * check; a second use finds the claim. State is bounded by the exchanges of the last ~20 min.
 */
export function signatureReplayGuard(redis: RedisClient, prefix: string, holdMs: number) {
  return {
    /** True the first time `signature` is seen; false for a replay. */
    async claim(signature: string): Promise<boolean> {
      try {
        return (await redis.set(`${prefix}:sts-sig:${sha256Hex(signature)}`, '1', 'PX', holdMs, 'NX')) === 'OK';
      } catch {
        throw unavailable('replay_check_unavailable', 'Single use of the signature cannot be checked right now; retry with a freshly signed request.');
      }
    },
  };
}
export type SignatureReplayGuard = ReturnType<typeof signatureReplayGuard>;
