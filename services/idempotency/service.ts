import type { Clock } from '../../shared/clock';
import { seal, sha256Hex, unseal, type Kek } from '../../shared/crypto';
import { conflict, unprocessable } from '../../shared/errors';
import type { IdempotencyStore, ReplayMeta } from './store';

const RETAIN_S = 24 * 3600;
const LOCK_MS = 60_000;

export type IdempotencyOutcome =
  | { kind: 'proceed'; finish(status: number, body: string, meta: ReplayMeta): Promise<void>; abandon(): Promise<void> }
  | { kind: 'replay'; status: number; body: string; meta: ReplayMeta };

/** Who sent the request: its partition (tenant or staff subject) and the credential itself. */
export interface IdempotencyCaller {
  partition: string;
  credentialId: string;
}

/**
 * `Idempotency-Key` semantics for creates: the first request with a key runs; a repeat by the
 * same credential with the same body gets the first answer; a repeat with another body is
 * refused (422); a repeat while the first is still running gets 409 and may retry. Only
 * successes are remembered, so a failed request can be corrected and retried under the same
 * key. Keys are the credential's own: another credential with the same key runs its own
 * request. The stored answer is sealed under `sealKey` with the record's key as context, so
 * neither a reader of the store nor a record copied under another credential reveals it.
 * During a pepper rotation `sealKey` holds one key per pepper: answers sealed before it replay.
 */
export function idempotencyService(deps: { store: IdempotencyStore; clock: Clock; sealKey: Kek }) {
  const { store, clock, sealKey } = deps;
  return {
    async begin(caller: IdempotencyCaller, route: string, key: string, request: unknown): Promise<IdempotencyOutcome> {
      const pk = caller.partition;
      const sk = `IDEM#${caller.credentialId}#${route}#${key}`;
      const context = `${pk}\n${sk}`;
      const requestHash = sha256Hex(JSON.stringify(request ?? null));
      const now = clock.now();
      const claimed = await store.claim(
        { pk, sk, requestHash, state: 'pending', lockedUntil: now + LOCK_MS, ttl: Math.floor(now / 1000) + RETAIN_S },
        now,
      );
      if (!claimed) {
        const rec = await store.get(pk, sk);
        if (rec && rec.requestHash !== requestHash) {
          throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
        }
        if (rec?.state === 'done') {
          let body: string;
          try {
            body = unseal(sealKey, rec.sealedBody ?? '', context);
          } catch {
            // Sealed for another credential or under another server secret: replay nothing.
            throw conflict('idempotency_replay_unavailable', 'The first answer to this Idempotency-Key cannot be replayed; send the request with a new key.');
          }
          return { kind: 'replay', status: rec.status!, body, meta: rec.meta ?? {} };
        }
        throw conflict('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.', { retryable: true });
      }
      return {
        kind: 'proceed',
        finish: (status, body, meta) => store.complete(pk, sk, status, seal(sealKey, body, context), meta),
        abandon: () => store.release(pk, sk),
      };
    },
  };
}
export type IdempotencyService = ReturnType<typeof idempotencyService>;
