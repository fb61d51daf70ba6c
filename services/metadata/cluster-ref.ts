import type { ClusterContext } from '../clusters/cluster-cache';
import type { ClusterRef } from './types';

/** What the sequencer needs to know about a cluster, from the cluster item and its limits. */
export function clusterRef({ cluster, limits }: ClusterContext): ClusterRef {
  return {
    tenantId: cluster.tenantId,
    clusterId: cluster.id,
    regions: cluster.regions,
    buckets: cluster.storage.buckets,
    writeQuorum: cluster.storage.writeQuorum,
    autoCreateTopics: cluster.config.autoCreateTopics,
    defaultPartitions: cluster.config.defaultPartitions,
    defaultRetentionMs: cluster.config.defaultRetentionMs,
    limits: { partitionsPerCluster: limits.partitionsPerCluster, maxRetentionMs: limits.maxRetentionMs },
  };
}
