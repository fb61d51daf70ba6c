import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { RevocationStore, RevokedEntity } from './revocations-store';

/** Writers may disagree on time by this much; each poll re-reads this far back. */
const OVERLAP_MS = 30_000;

/**
 * Revocation of agent tokens before they expire: revoking an agent key, suspending a tenant
 * or deleting a cluster records a "not before" time; every process polls the log (default
 * every second) into memory, and each agent request is checked against it without I/O.
 */
export function revocations(deps: { store: RevocationStore; clock: Clock; logger: Logger; maxTokenLifetimeMs: number; pollMs: number }) {
  const { store, clock, logger, maxTokenLifetimeMs, pollMs } = deps;
  const notBefore = new Map<string, number>();
  const k = (entity: RevokedEntity, id: string) => `${entity}:${id}`;
  let lastPoll = 0;
  let timer: NodeJS.Timeout | undefined;

  function apply(entity: RevokedEntity, id: string, at: number) {
    const key = k(entity, id);
    if ((notBefore.get(key) ?? 0) < at) notBefore.set(key, at);
  }

  async function poll() {
    const now = clock.now();
    const from = lastPoll === 0 ? now - maxTokenLifetimeMs - OVERLAP_MS : lastPoll - OVERLAP_MS;
    for (const r of await store.since(from)) apply(r.entity, r.id, r.notBefore);
    lastPoll = now;
    // Forget what can no longer matter: every token older than that has expired.
    for (const [key, at] of notBefore) if (at < now - maxTokenLifetimeMs - OVERLAP_MS) notBefore.delete(key);
  }

  return {
    /** Records a revocation durably, and applies it in this process at once. */
    async revoke(entity: RevokedEntity, id: string) {
      const at = clock.now();
      await store.add({ entity, id, notBefore: at }, Math.ceil((maxTokenLifetimeMs + OVERLAP_MS) / 1000));
      apply(entity, id, at);
    },
    /** True when a token issued at `issuedAtMs` for these entities has been revoked. */
    isRevoked(issuedAtMs: number, ids: { agentKeyId: string; tenantId: string; clusterId: string }): boolean {
      return (
        issuedAtMs < (notBefore.get(k('agent-key', ids.agentKeyId)) ?? 0) ||
        issuedAtMs < (notBefore.get(k('tenant', ids.tenantId)) ?? 0) ||
        issuedAtMs < (notBefore.get(k('cluster', ids.clusterId)) ?? 0)
      );
    },
    poll,
    async start() {
      await poll();
      const loop = () => {
        timer = setTimeout(async () => {
          try {
            await poll();
          } catch (err) {
            logger.warn({ err }, 'revocation poll failed; will retry');
          }
          loop();
        }, pollMs);
        timer.unref();
      };
      loop();
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
export type Revocations = ReturnType<typeof revocations>;
