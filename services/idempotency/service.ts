import type { Clock } from '../../shared/clock';
import { sha256Hex } from '../../shared/crypto';
import { conflict, unprocessable } from '../../shared/errors';
import type { IdempotencyStore } from './store';

const RETAIN_S = 24 * 3600;
const LOCK_MS = 60_000;

export type IdempotencyOutcome =
  | { kind: 'proceed'; finish(status: number, body: string): Promise<void>; abandon(): Promise<void> }
  | { kind: 'replay'; status: number; body: string };

/**
 * `Idempotency-Key` semantics for creates: the first request with a key runs; a repeat with
 * the same body gets the first answer; a repeat with another body is refused (422); a repeat
 * while the first is still running gets 409 and may retry. Only successes are remembered, so
 * a failed request can be corrected and retried under the same key.
 */
export function idempotencyService(deps: { store: IdempotencyStore; clock: Clock }) {
  const { store, clock } = deps;
  return {
    async begin(partition: string, route: string, key: string, request: unknown): Promise<IdempotencyOutcome> {
      const sk = `IDEM#${route}#${key}`;
      const requestHash = sha256Hex(JSON.stringify(request ?? null));
      const now = clock.now();
      const claimed = await store.claim(
        { pk: partition, sk, requestHash, state: 'pending', lockedUntil: now + LOCK_MS, ttl: Math.floor(now / 1000) + RETAIN_S },
        now,
      );
      if (!claimed) {
        const rec = await store.get(partition, sk);
        if (rec && rec.requestHash !== requestHash) {
          throw unprocessable('idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
        }
        if (rec?.state === 'done') return { kind: 'replay', status: rec.status!, body: rec.body! };
        throw conflict('idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly.', { retryable: true });
      }
      return {
        kind: 'proceed',
        finish: (status, body) => store.complete(partition, sk, status, body),
        abandon: () => store.release(partition, sk),
      };
    },
  };
}
export type IdempotencyService = ReturnType<typeof idempotencyService>;
