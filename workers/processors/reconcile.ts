import type { ClusterStore } from '../../services/clusters/store';
import type { ClusterJobs } from '../../services/clusters/service';
import type { Logger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';

/** How long a cluster may sit in a transitional state before its job is queued again. */
export const STUCK_AFTER_MS = 30_000;

/**
 * The safety net behind "write first, queue second": any cluster whose provisioning or
 * deletion has not moved for a while gets its job queued again (deduplicated by job id).
 */
export function reconcileProcessor(deps: { clusters: ClusterStore; jobs: ClusterJobs; clock: Clock; logger: Logger }) {
  return async () => {
    let requeued = 0;
    const cutoff = new Date(deps.clock.now() - STUCK_AFTER_MS).toISOString();
    for await (const item of deps.clusters.allWithStatus(['provisioning', 'deleting'])) {
      const c = item as { id: string; tenantId: string; status: string; updatedAt: string };
      if (c.updatedAt > cutoff) continue;
      if (c.status === 'provisioning') await deps.jobs.provision(c.tenantId, c.id);
      else await deps.jobs.destroy(c.tenantId, c.id);
      requeued++;
    }
    if (requeued > 0) deps.logger.warn({ requeued }, 'reconciler re-queued stuck cluster jobs');
    return { requeued };
  };
}
