import { conflict, notFound } from '../../shared/errors';
import type { ClusterCache } from '../clusters/cluster-cache';
import { clusterRef } from './cluster-ref';
import type { ClusterRef } from './types';

/**
 * Resolves the cluster a metadata request is for, refusing clusters that are not (or no
 * longer) serving: provisioning ones have no metadata home yet, deleting ones are going.
 */
export function clusterAccess(cache: ClusterCache) {
  return async (tenantId: string, clusterId: string, fresh = false): Promise<ClusterRef> => {
    if (fresh) cache.invalidate(tenantId, clusterId);
    let ctx = await cache.get(tenantId, clusterId);
    // A cluster only moves forward: a cached "provisioning" may be "ready" by now.
    if (ctx?.cluster.status === 'provisioning' && !fresh) {
      cache.invalidate(tenantId, clusterId);
      ctx = await cache.get(tenantId, clusterId);
    }
    if (!ctx || ctx.cluster.status === 'deleted') throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
    if (ctx.cluster.status === 'provisioning') throw conflict('cluster_provisioning', `Cluster ${clusterId} is still being provisioned; retry shortly.`, { retryable: true });
    if (ctx.cluster.status === 'deleting') throw conflict('cluster_deleting', `Cluster ${clusterId} is being deleted.`);
    return clusterRef(ctx);
  };
}
export type ClusterAccess = ReturnType<typeof clusterAccess>;
