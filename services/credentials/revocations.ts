import type { Clock } from '../../shared/clock';
import { unauthorized, unavailable } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { RevocationStore, RevokedEntity } from './revocations-store';

/** Writers may disagree on time by this much; each poll re-reads this far back. */
const OVERLAP_MS = 30_000;

/** Real elapsed time (never jumps with the wall clock), for how old the revocation view is. */
const monotonic: Clock = { now: () => performance.now() };

export interface RevocationDeps {
  store: RevocationStore;
  clock: Clock;
  logger: Logger;
  maxTokenLifetimeMs: number;
  pollMs: number;
  /** Older than this, the view may miss a revocation: agent requests are refused (503). */
  maxStalenessMs: number;
  /** Measures the view's age; tests pass a manual clock. */
  timer?: Clock;
}

/**
 * Revocation of agent tokens before they expire: revoking an agent key, suspending a tenant
 * or deleting a cluster records a "not before" time; every process polls the log (default
 * every second) into memory, and each agent request is checked against it without I/O.
 * It fails closed: when polling has not succeeded for `maxStalenessMs`, the view may miss a
 * revocation, so agent requests get a retryable 503 until a poll succeeds again.
 */
export function revocations(deps: RevocationDeps) {
  const { store, clock, logger, maxTokenLifetimeMs, pollMs, maxStalenessMs } = deps;
  const timer = deps.timer ?? monotonic;
  // One map per kind of entity, keyed by the id itself: every agent request looks up three ids
  // that come from its (cached) claims, whose hashes V8 keeps, rather than three new strings.
  const notBefore: Record<RevokedEntity, Map<string, number>> = { 'agent-key': new Map(), tenant: new Map(), cluster: new Map() };
  /** Domain time of the last successful poll (what the next poll reads from). */
  let lastPoll = 0;
  /** Timer reading when the last successful poll started; undefined before the first. */
  let freshAt: number | undefined;
  let stale = false;
  let timeout: NodeJS.Timeout | undefined;

  function apply(entity: RevokedEntity, id: string, at: number) {
    const byId = notBefore[entity] as Map<string, number> | undefined;
    // A kind this version does not know (written by a newer node) revokes nothing it checks.
    if (byId && (byId.get(id) ?? 0) < at) byId.set(id, at);
  }

  const stalenessMs = () => (freshAt === undefined ? Infinity : timer.now() - freshAt);

  async function poll() {
    const started = timer.now();
    const now = clock.now();
    const from = lastPoll === 0 ? now - maxTokenLifetimeMs - OVERLAP_MS : lastPoll - OVERLAP_MS;
    for (const r of await store.since(from)) apply(r.entity, r.id, r.notBefore);
    lastPoll = now;
    freshAt = Math.max(freshAt ?? started, started);
    if (stale) {
      stale = false;
      logger.info('revocation log readable again; agent requests accepted');
    }
    // Forget what can no longer matter: every token older than that has expired.
    for (const byId of Object.values(notBefore)) for (const [id, at] of byId) if (at < now - maxTokenLifetimeMs - OVERLAP_MS) byId.delete(id);
  }

  function isRevoked(issuedAtMs: number, ids: { agentKeyId: string; tenantId: string; clusterId: string }): boolean {
    return (
      issuedAtMs < (notBefore['agent-key'].get(ids.agentKeyId) ?? 0) ||
      issuedAtMs < (notBefore.tenant.get(ids.tenantId) ?? 0) ||
      issuedAtMs < (notBefore.cluster.get(ids.clusterId) ?? 0)
    );
  }

  return {
    /** Records a revocation durably, and applies it in this process at once. */
    async revoke(entity: RevokedEntity, id: string) {
      const at = clock.now();
      await store.add({ entity, id, notBefore: at }, Math.ceil((maxTokenLifetimeMs + OVERLAP_MS) / 1000));
      apply(entity, id, at);
    },
    isRevoked,
    /**
     * Admits a token issued at `issuedAtMs`: 401 `token_revoked` when it was revoked, 503
     * `revocation_state_stale` when this process cannot currently know.
     */
    check(issuedAtMs: number, ids: { agentKeyId: string; tenantId: string; clusterId: string }) {
      const age = stalenessMs();
      if (age > maxStalenessMs) {
        if (!stale) {
          stale = true;
          logger.error({ stalenessMs: age }, 'revocation log unreadable for too long; refusing agent requests until it is read again');
        }
        throw unavailable('revocation_state_stale', 'Revocations could not be checked recently; retry shortly.', { retryAfterSeconds: Math.max(1, Math.ceil(pollMs / 1000)) });
      }
      if (isRevoked(issuedAtMs, ids)) {
        throw unauthorized('token_revoked', 'The agent key, its cluster or its tenant was revoked; exchange a valid agent key for a new token.');
      }
    },
    /** How old this process's view of the revocation log is (ms; Infinity before the first read). */
    stalenessMs,
    poll,
    async start() {
      await poll();
      const loop = () => {
        timeout = setTimeout(async () => {
          try {
            await poll();
          } catch (err) {
            logger.warn({ err }, 'revocation poll failed; will retry');
          }
          loop();
        }, pollMs);
        timeout.unref();
      };
      loop();
    },
    stop() {
      if (timeout) clearTimeout(timeout);
    },
  };
}
export type Revocations = ReturnType<typeof revocations>;
