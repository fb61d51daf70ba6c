import type { ClusterContext } from '../clusters/cluster-cache';
import { DEFAULT_CLUSTER_CONFIG } from '../clusters/model';
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
    // Clusters created before these settings existed get the defaults.
    defaultRetentionBytes: cluster.config.defaultRetentionBytes ?? DEFAULT_CLUSTER_CONFIG.defaultRetentionBytes,
    producerIdExpirationMs: cluster.config.producerIdExpirationMs ?? DEFAULT_CLUSTER_CONFIG.producerIdExpirationMs,
    offsetsRetentionMs: cluster.config.offsetsRetentionMs ?? DEFAULT_CLUSTER_CONFIG.offsetsRetentionMs,
    journalStripes: cluster.journalStripes ?? 1,
    limits: { partitionsPerCluster: limits.partitionsPerCluster, maxRetentionMs: limits.maxRetentionMs },
  };
}
