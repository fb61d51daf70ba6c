import type { Clock } from '../../shared/clock';
import type { TierLimits } from '../tiers/catalogue';
import { effectiveLimits } from '../tiers/limits';
import type { TenantStore } from '../tenants/store';
import type { Cluster } from './model';
import type { ClusterStore } from './store';

export interface ClusterContext {
  cluster: Cluster;
  limits: TierLimits;
}

/**
 * A few seconds of memory in front of the cluster and tenant items, for the agent hot paths
 * (heartbeats, metadata). Changes reach them within `ttlMs`; credentials are not decided
 * here (revocation has its own, faster path).
 */
export function clusterCache(deps: { clusters: ClusterStore; tenants: TenantStore; clock: Clock; ttlMs?: number }) {
  const ttl = deps.ttlMs ?? 5000;
  const entries = new Map<string, { at: number; value: Promise<ClusterContext | undefined> }>();
  async function load(tenantId: string, clusterId: string) {
    const [cluster, tenant] = await Promise.all([deps.clusters.get(tenantId, clusterId), deps.tenants.get(tenantId)]);
    if (!cluster || !tenant) return undefined;
    return { cluster, limits: effectiveLimits(cluster.tier, tenant.limitOverrides) };
  }
  return {
    get(tenantId: string, clusterId: string): Promise<ClusterContext | undefined> {
      const key = `${tenantId}/${clusterId}`;
      const now = deps.clock.now();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttl) return hit.value;
      const value = load(tenantId, clusterId);
      entries.set(key, { at: now, value });
      value.catch(() => entries.delete(key));
      if (entries.size > 50_000) entries.delete(entries.keys().next().value!);
      return value;
    },
    invalidate(tenantId: string, clusterId: string) {
      entries.delete(`${tenantId}/${clusterId}`);
    },
  };
}
export type ClusterCache = ReturnType<typeof clusterCache>;
