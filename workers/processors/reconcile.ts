import type { ClusterStore } from '../../services/clusters/store';
import type { TenantStore } from '../../services/tenants/store';
import type { Logger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';
import type { LifecycleJobs } from '../queues';

/** How long a cluster may sit in a transitional state before its job is queued again. */
export const STUCK_AFTER_MS = 30_000;

/**
 * The safety net behind "write first, queue second" (and behind creates that died half way:
 * see services/clusters/creation.ts): any cluster whose provisioning or
 * deletion has not moved for a while gets its job queued again, for real: a job still
 * waiting or running is left alone, one that was lost is added, and one that failed on its
 * last attempt (kept as failed under the same id) is replaced by a fresh one, with an error
 * in the log since that work has been failing for a while.
 *
 * Tenants too: a tenant purge removes the tenant item last, so one that failed or was lost
 * half way leaves the tenant `deleting` (its keys and lookups partly gone); its purge is
 * queued again the same way, and it picks up where the last one stopped.
 */
export function reconcileProcessor(deps: {
  clusters: ClusterStore;
  tenants: Pick<TenantStore, 'allDeleting'>;
  jobs: Pick<LifecycleJobs, 'requeue' | 'requeuePurge'>;
  /** Takes back the names and plan slots of cluster creates that never finished. */
  reclaimLeakedCreates: () => Promise<{ released: number; confirmed: number }>;
  clock: Clock;
  logger: Logger;
}) {
  return async () => {
    const creates = await deps.reclaimLeakedCreates();
    const counts = { pending: 0, added: 0, readded: 0 };
    const cutoff = new Date(deps.clock.now() - STUCK_AFTER_MS).toISOString();
    for await (const item of deps.clusters.allWithStatus(['provisioning', 'deleting'])) {
      const c = item as { id: string; tenantId: string; status: string; updatedAt: string };
      if (c.updatedAt > cutoff) continue;
      const kind = c.status === 'provisioning' ? 'provision' : 'destroy';
      const { outcome, replaced } = await deps.jobs.requeue(kind, c.tenantId, c.id);
      counts[outcome]++;
      if (outcome === 'readded' && replaced?.state === 'failed') {
        deps.logger.error({ clusterId: c.id, job: `cluster.${kind}`, attempts: replaced.attemptsMade, reason: replaced.failedReason }, 'cluster job had failed on its last attempt; queued it again');
      } else if (outcome !== 'pending') {
        deps.logger.warn({ clusterId: c.id, job: `cluster.${kind}`, outcome }, 'cluster stuck without a pending job; queued it again');
      }
    }
    const purges = { pending: 0, added: 0, readded: 0 };
    for await (const t of deps.tenants.allDeleting()) {
      if (t.updatedAt > cutoff) continue;
      const { outcome, replaced } = await deps.jobs.requeuePurge(t.id);
      purges[outcome]++;
      if (outcome === 'readded' && replaced?.state === 'failed') {
        deps.logger.error({ tenantId: t.id, job: 'tenant.purge', attempts: replaced.attemptsMade, reason: replaced.failedReason }, 'tenant purge had failed on its last attempt; queued it again');
      } else if (outcome !== 'pending') {
        deps.logger.warn({ tenantId: t.id, job: 'tenant.purge', outcome }, 'tenant stuck deleting without a pending purge; queued it again');
      }
    }
    const requeued = counts.added + counts.readded;
    if (requeued > 0) deps.logger.warn({ ...counts }, 'reconciler re-queued stuck cluster jobs');
    return { requeued, ...counts, leakedCreates: creates, purges };
  };
}
