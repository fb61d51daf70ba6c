import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import { conflict, forbidden, unavailable } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { Tenant, TenantStore } from '../tenants/store';
import type { Cluster } from './model';
import type { ClusterStore } from './store';

/** How long a name reservation may stay unconfirmed before the reconciler takes it back. */
export const RESERVATION_GRACE_MS = 5 * 60_000;
/**
 * A create that has not written its cluster item this long after reserving gives up (far
 * inside the grace), so that it never writes a cluster whose name and slot the reconciler
 * may already be taking back.
 */
export const CREATE_DEADLINE_MS = 60_000;

/**
 * Creating a cluster takes three single-item writes with no transaction: reserve the name
 * (marked pending), count the cluster in the tenant's plan, write the cluster item; a fourth
 * confirms the name. A failure after the first would leak the name, the plan slot or both.
 * So a failed create releases what it took, unless its cluster item turns out to exist (a
 * write whose reply was lost); and since that release can fail too, or the process die, the
 * reconciler sweeps pending reservations older than the grace period and does the same. The
 * pending reservation is the marker: the slot is always released before the name.
 */
export function clusterCreation(deps: { clusters: ClusterStore; tenants: TenantStore; clock: Clock; logger: Logger }) {
  const { clusters, tenants, clock, logger } = deps;

  /** Releases the plan slot, then the name, unless the cluster item exists. */
  async function releaseUnused(tenantId: string, clusterId: string, name: string): Promise<'released' | 'in-use'> {
    if (await clusters.get(tenantId, clusterId)) return 'in-use';
    await tenants.removeCluster(tenantId, clusterId, isoTime(clock.now()));
    await clusters.releaseName(tenantId, name, clusterId);
    return 'released';
  }

  /** After a failed step: what the create took goes back, or the reconciler takes it back later. */
  async function undo(cluster: Cluster, cause: unknown): Promise<'released' | 'in-use' | 'unknown'> {
    try {
      return await releaseUnused(cluster.tenantId, cluster.id, cluster.name);
    } catch (e) {
      logger.warn({ err: e, cause, clusterId: cluster.id }, 'could not release a failed create\'s name and plan slot; the reconciler will');
      return 'unknown';
    }
  }

  return {
    /** Writes a new cluster item with its name reserved and its plan slot counted. */
    async write(tenant: Tenant, cluster: Cluster, clusterLimit: number): Promise<void> {
      const started = clock.now();
      let reserved: boolean;
      try {
        reserved = await clusters.reserveName(tenant.id, cluster.name, cluster.id, isoTime(started));
      } catch (e) {
        await undo(cluster, e);
        throw e;
      }
      if (!reserved) throw conflict('cluster_name_taken', `A cluster named "${cluster.name}" already exists.`);

      let counted: Tenant | undefined;
      try {
        counted = await tenants.addCluster(tenant.id, cluster.id, tenant.tier, clusterLimit, isoTime(started));
      } catch (e) {
        await undo(cluster, e);
        throw e;
      }
      if (!counted) {
        // Refused atomically: no slot was taken, only the name goes back.
        await clusters.releaseName(tenant.id, cluster.name, cluster.id).catch((e) => logger.warn({ err: e, clusterId: cluster.id }, 'could not release a name; the reconciler will'));
        const fresh = await tenants.get(tenant.id);
        if (fresh && fresh.status !== 'active') throw forbidden(`tenant_${fresh.status}`, `The tenant is ${fresh.status}.`);
        if (fresh && fresh.tier !== tenant.tier) throw conflict('concurrent_modification', 'The tenant\'s plan changed meanwhile; retry.');
        throw conflict('cluster_limit_reached', `The "${tenant.tier}" plan allows ${clusterLimit} cluster(s).`, { limit: clusterLimit });
      }

      try {
        if (clock.now() - started > CREATE_DEADLINE_MS) throw unavailable('store_unavailable', 'Creating the cluster took too long; retry.');
        await clusters.create(cluster);
      } catch (e) {
        // The put may have landed with its reply lost: then the cluster exists and this is a success.
        if ((await undo(cluster, e)) !== 'in-use') throw e;
      }
      try {
        await clusters.confirmName(tenant.id, cluster.name, cluster.id);
      } catch (e) {
        logger.warn({ err: e, clusterId: cluster.id }, 'could not confirm a cluster name; the reconciler will');
      }
    },

    /**
     * The reconciler's sweep: every reservation still pending after the grace period belongs
     * to a create that failed or died. Its cluster item exists (confirm the name) or not
     * (release the plan slot and the name).
     */
    async reclaimLeaked(): Promise<{ released: number; confirmed: number }> {
      const out = { released: 0, confirmed: 0 };
      for await (const r of clusters.pendingNames(isoTime(clock.now() - RESERVATION_GRACE_MS))) {
        if ((await releaseUnused(r.tenantId, r.clusterId, r.name)) === 'released') {
          out.released++;
          logger.warn({ tenantId: r.tenantId, clusterId: r.clusterId, reservedAt: r.reservedAt }, 'released the name and plan slot of a cluster create that never finished');
        } else {
          await clusters.confirmName(r.tenantId, r.name, r.clusterId);
          out.confirmed++;
        }
      }
      return out;
    },
  };
}
export type ClusterCreation = ReturnType<typeof clusterCreation>;
