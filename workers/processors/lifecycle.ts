import { DelayedError, type Job } from 'bullmq';
import type { Logger } from '../../shared/logger';
import type { ClusterLifecycle } from '../../services/clusters/lifecycle';
import type { TenantsService } from '../../services/tenants/service';
import type { LifecycleJob } from '../queues';

/** Runs cluster provisioning/deletion and tenant purges; every step is idempotent. */
export function lifecycleProcessor(deps: { clusters: ClusterLifecycle; tenants: TenantsService; logger: Logger }) {
  return async (job: Job, token?: string) => {
    const { name, data } = job as unknown as LifecycleJob;
    switch (name) {
      case 'cluster.provision': {
        const result = await deps.clusters.provision(data.tenantId, data.clusterId);
        deps.logger.info({ clusterId: data.clusterId, result, attempt: job.attemptsMade + 1 }, 'cluster provision job');
        return result;
      }
      case 'cluster.destroy': {
        const result = await deps.clusters.destroy(data.tenantId, data.clusterId);
        if (typeof result === 'object') {
          // Fenced; the purge waits until no node can still be writing. Come back then, without
          // spending an attempt (BullMQ's step-job pattern).
          deps.logger.info({ clusterId: data.clusterId, retryInMs: result.retryInMs }, 'cluster destroy job: fenced, waiting for the last lease to end');
          await job.moveToDelayed(Date.now() + result.retryInMs, token);
          throw new DelayedError();
        }
        deps.logger.info({ clusterId: data.clusterId, result, attempt: job.attemptsMade + 1 }, 'cluster destroy job');
        return result;
      }
      case 'tenant.purge': {
        const result = await deps.tenants.purge(data.tenantId);
        deps.logger.info({ tenantId: data.tenantId, result }, 'tenant purge job');
        return result;
      }
      default:
        throw new Error(`unknown lifecycle job ${String(name)}`);
    }
  };
}
