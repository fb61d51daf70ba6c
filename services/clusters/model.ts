import type { TierName } from '../tiers/catalogue';

export type ClusterStatus = 'provisioning' | 'ready' | 'deleting' | 'deleted';

export interface ClusterConfig {
  defaultPartitions: number;
  defaultRetentionMs: number;
  /** retention.bytes of new topics; -1: no size limit. */
  defaultRetentionBytes: number;
  autoCreateTopics: boolean;
  /** Kafka's producer.id.expiration.ms: idle producer state is dropped after this. */
  producerIdExpirationMs: number;
  /** Kafka's offsets.retention.minutes, in ms: an empty group's offsets go after this. */
  offsetsRetentionMs: number;
}

export interface ClusterStorage {
  buckets: { region: string; url: string }[];
  writeQuorum: number;
}

export interface Cluster {
  id: string;
  tenantId: string;
  name: string;
  tier: TierName;
  regions: string[];
  storage: ClusterStorage;
  config: ClusterConfig;
  deletionProtection: boolean;
  status: ClusterStatus;
  /**
   * Partition keys the cluster's metadata journal is striped over (services/metadata/journal-stripes.ts):
   * chosen at creation, never changed. Items of clusters created before stripes existed have
   * none; the store reads them as 1, which is what they are.
   */
  journalStripes: number;
  /** Where the cluster's metadata journal lives; set when provisioning completes. */
  metadataHome?: { partitionKey: string };
  createdAt: string;
  updatedAt: string;
  deletedAt?: string;
  version: number;
}

export const DEFAULT_CLUSTER_CONFIG: ClusterConfig = {
  defaultPartitions: 1,
  defaultRetentionMs: 7 * 24 * 3600 * 1000,
  defaultRetentionBytes: -1,
  autoCreateTopics: false,
  producerIdExpirationMs: 7 * 24 * 3600 * 1000,
  offsetsRetentionMs: 7 * 24 * 3600 * 1000,
};
