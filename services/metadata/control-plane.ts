import { isoTime, type Clock } from '../../shared/clock';
import type { NodeRecord } from '../regions/store';
import type { RegionsView } from '../regions/service';
import { clusterPk } from './keys';
import type { LeaseStore } from './lease-store';
import type { ClusterRef } from './types';

/**
 * What an agent needs to reach a cluster's control plane in any region: each region's
 * endpoints (its live nodes), bucket and health, the region that should lead and the one that
 * leads now. Any node answers it from the lease and the region registry; the cluster's
 * sequencer is not involved, so it works while leadership moves.
 */
export interface RegionDirectory {
  view(): Promise<RegionsView>;
  liveNodes(view: RegionsView, region?: string): NodeRecord[];
}

/** The region that should lead: the cluster's first region that is not drained. */
export function preferredRegion(regions: readonly string[], view: Pick<RegionsView, 'drained'>): string {
  return regions.find((r) => !view.drained.has(r)) ?? regions[0];
}

export function controlPlaneView(deps: { leases: Pick<LeaseStore, 'read'>; regions: RegionDirectory; clock: Clock }) {
  return async (cluster: ClusterRef) => {
    const [lease, view] = await Promise.all([deps.leases.read(clusterPk(cluster.tenantId, cluster.clusterId)), deps.regions.view()]);
    const now = deps.clock.now();
    const leader = lease?.holder && lease.expiresAt > now ? lease.holderAddress : null;
    const leaderRegion = !leader ? null : (lease!.holderRegion ?? view.nodes.find((n) => n.address === leader)?.region ?? null);
    return {
      clusterId: cluster.clusterId,
      writeQuorum: cluster.writeQuorum,
      preferredRegion: preferredRegion(cluster.regions, view),
      leaderRegion,
      leader,
      regions: cluster.regions.map((region) => {
        const live = deps.regions.liveNodes(view, region);
        const drained = view.drained.has(region);
        return {
          region,
          bucket: cluster.buckets.find((b) => b.region === region)?.url ?? null,
          endpoints: [...new Set(live.map((n) => n.endpoint))].sort(),
          drained,
          healthy: !drained && live.some((n) => n.healthy),
        };
      }),
      generatedAt: isoTime(now),
    };
  };
}
export type ControlPlaneView = ReturnType<typeof controlPlaneView>;
