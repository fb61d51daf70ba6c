import { systemContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { AuditService } from '../audit/service';
import type { TenantStore } from '../tenants/store';
import { clusterPk } from '../../shared/keys';
import type { ClusterStore } from './store';

/** Other domains that hold per-cluster state register here to clean up on deletion. */
export type ClusterDeletedHook = (tenantId: string, clusterId: string) => Promise<void>;

/**
 * The cluster's metadata home (its lease, journal and snapshots), owned by the metadata
 * domain and passed in at composition: clusters never reach into metadata themselves.
 */
export interface ClusterHome {
  /** Allocates the home (idempotent); false when it was retired (the cluster is being deleted). */
  allocate(tenantId: string, clusterId: string): Promise<boolean>;
  /**
   * Fences the cluster for every node, wherever it runs (idempotent), and tells when its
   * items may go: no node can serve it from then on, and none could still be writing after.
   */
  retire(tenantId: string, clusterId: string, journalStripes?: number): Promise<{ purgeAfter: number }>;
  /** Removes the home's items, every journal stripe included (keeping a tombstone); refused before `purgeAfter`. */
  purge(tenantId: string, clusterId: string, journalStripes?: number): Promise<void>;
}

/** What a destroy step answers: done, nothing to do, or "run me again in `retryInMs`". */
export type DestroyOutcome = 'deleted' | 'skipped' | { retryInMs: number };

const DELETED_RETENTION_S = 30 * 24 * 3600;

/**
 * The steps the lifecycle workers run. Each step is idempotent, so a job that is retried
 * after a crash at any point finishes the work without doing any of it twice.
 */
export function clusterLifecycle(deps: {
  home: ClusterHome;
  clusters: ClusterStore;
  tenants: TenantStore;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  onDeleted?: ClusterDeletedHook[];
}) {
  const { home, clusters, tenants, audit, clock } = deps;

  return {
    /** provisioning → ready: allocates the metadata home (lease item and journal header). */
    async provision(tenantId: string, clusterId: string): Promise<'ready' | 'skipped'> {
      const c = await clusters.get(tenantId, clusterId);
      if (!c || c.status !== 'provisioning') return 'skipped';
      if (!(await home.allocate(tenantId, clusterId))) return 'skipped';
      const now = clock.now();
      const homeRef = { partitionKey: clusterPk(tenantId, clusterId) };
      const ready = await clusters.update(tenantId, clusterId, { status: ['provisioning'] }, { status: 'ready', metadataHome: homeRef }, isoTime(now));
      if (!ready) return 'skipped';
      await audit.record(systemContext('cluster-provisioner'), {
        action: 'cluster.ready',
        tenantId,
        target: { type: 'cluster', id: clusterId },
        result: 'success',
      });
      return 'ready';
    },

    /**
     * deleting → deleted: fences the cluster's metadata for every node, waits until no node
     * can still be writing it (answering `retryInMs` meanwhile), removes every item of the
     * cluster, then frees its name and slot.
     */
    async destroy(tenantId: string, clusterId: string): Promise<DestroyOutcome> {
      const c = await clusters.get(tenantId, clusterId);
      if (!c || c.status !== 'deleting') return 'skipped';
      for (const hook of deps.onDeleted ?? []) await hook(tenantId, clusterId);
      const { purgeAfter } = await home.retire(tenantId, clusterId, c.journalStripes);
      const wait = purgeAfter - clock.now();
      if (wait > 0) return { retryInMs: wait };
      await clusters.removeChildren(tenantId, clusterId);
      await home.purge(tenantId, clusterId, c.journalStripes);
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
