import { systemContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { MetadataHomeStore } from '../metadata/home-store';
import type { Logger } from '../../shared/logger';
import type { AuditService } from '../audit/service';
import type { TenantStore } from '../tenants/store';
import type { ClusterStore } from './store';

/** Other domains that hold per-cluster state register here to clean up on deletion. */
export type ClusterDeletedHook = (tenantId: string, clusterId: string) => Promise<void>;

const DELETED_RETENTION_S = 30 * 24 * 3600;

/**
 * The steps the lifecycle workers run. Each step is idempotent, so a job that is retried
 * after a crash at any point finishes the work without doing any of it twice.
 */
export function clusterLifecycle(deps: {
  metadataHome: MetadataHomeStore;
  clusters: ClusterStore;
  tenants: TenantStore;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  onDeleted?: ClusterDeletedHook[];
}) {
  const { metadataHome, clusters, tenants, audit, clock } = deps;

  return {
    /** provisioning → ready: allocates the metadata home (lease item and journal header). */
    async provision(tenantId: string, clusterId: string): Promise<'ready' | 'skipped'> {
      const c = await clusters.get(tenantId, clusterId);
      if (!c || c.status !== 'provisioning') return 'skipped';
      const now = clock.now();
      const pk = await metadataHome.allocate(tenantId, clusterId, isoTime(now));
      const ready = await clusters.update(tenantId, clusterId, { status: ['provisioning'] }, { status: 'ready', metadataHome: { partitionKey: pk } }, isoTime(now));
      if (!ready) return 'skipped';
      await audit.record(systemContext('cluster-provisioner'), {
        action: 'cluster.ready',
        tenantId,
        target: { type: 'cluster', id: clusterId },
        result: 'success',
      });
      return 'ready';
    },

    /** deleting → deleted: removes every item of the cluster, then frees its name and slot. */
    async destroy(tenantId: string, clusterId: string): Promise<'deleted' | 'skipped'> {
      const c = await clusters.get(tenantId, clusterId);
      if (!c || c.status !== 'deleting') return 'skipped';
      for (const hook of deps.onDeleted ?? []) await hook(tenantId, clusterId);
      await clusters.removeChildren(tenantId, clusterId);
      await metadataHome.purge(tenantId, clusterId);
      await clusters.releaseName(tenantId, c.name, clusterId);
      const now = clock.now();
      await tenants.removeCluster(tenantId, clusterId, isoTime(now));
      const done = await clusters.update(
        tenantId,
        clusterId,
        { status: ['deleting'] },
        { status: 'deleted', deletedAt: isoTime(now), ttl: Math.floor(now / 1000) + DELETED_RETENTION_S },
        isoTime(now),
      );
      if (!done) return 'skipped';
      await audit.record(systemContext('cluster-deleter'), {
        action: 'cluster.deleted',
        tenantId,
        target: { type: 'cluster', id: clusterId },
        result: 'success',
      });
      return 'deleted';
    },
  };
}
export type ClusterLifecycle = ReturnType<typeof clusterLifecycle>;
