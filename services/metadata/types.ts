/**
 * The metadata service's public vocabulary: what callers pass in and get back. Field names
 * follow DESIGN.md section 8, because the HTTP layer echoes them unchanged.
 */

/** What the cluster service knows about a cluster and the sequencer needs per request. */
export interface ClusterRef {
  tenantId: string;
  clusterId: string;
  /** One region, or three for a multi-region cluster. */
  regions: string[];
  /** The bucket of each region (a replica must name its region's bucket). */
  buckets: { region: string; url: string }[];
  /** Distinct regions a committed file must be stored in. */
  writeQuorum: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  defaultRetentionMs: number;
  limits: { partitionsPerCluster: number; maxRetentionMs: number };
}

export interface TopicConfig {
  'retention.ms': number;
  'retention.bytes': number;
  'cleanup.policy': 'delete';
}

/** Config as callers send it: any subset, numbers or decimal strings (Kafka sends strings). */
export type TopicConfigInput = Partial<Record<keyof TopicConfig, unknown>>;

export interface CreateTopicInput {
  name: string;
  partitions: number;
  config?: TopicConfigInput;
}

/** Partitions may only grow; config keys given replace the current values. */
export interface UpdateTopicInput {
  partitions?: number;
  config?: TopicConfigInput;
}

export interface TopicSummary {
  name: string;
  /** Kafka-style topic id: 16 random bytes, base64url. */
  topicId: string;
  partitions: number;
  config: TopicConfig;
  createdAt: string;
}

export interface PartitionDetail {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  /** Bytes of the live batches. */
  bytes: number;
}

export interface TopicDescription extends TopicSummary {
  partitionDetails: PartitionDetail[];
}

export interface Replica {
  region: string;
  bucket: string;
  checksum: string;
}

export interface CommitBatchInput {
  topic: string;
  partition: number;
  byteOffset: number;
  byteLength: number;
  recordCount: number;
  maxTimestamp: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

export interface CommitFileInput {
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  replicas: Replica[];
  batches: CommitBatchInput[];
}

export const BATCH_ERRORS = ['UNKNOWN_TOPIC_OR_PARTITION', 'OUT_OF_ORDER_SEQUENCE', 'INVALID_PRODUCER_EPOCH'] as const;
export type BatchError = (typeof BATCH_ERRORS)[number];

export type CommitBatchResult =
  | { topic: string; partition: number; baseOffset: number; lastOffset: number; duplicate: boolean }
  | { topic: string; partition: number; error: BatchError };

export interface CommitFileResult {
  fileId: string;
  /** True when this fileId was already committed with the same body: nothing was written. */
  duplicate: boolean;
  results: CommitBatchResult[];
}

export interface FetchPlanInput {
  partitions: { topic: string; partition: number; offset: number; maxBytes: number }[];
  maxBytes: number;
}

export interface PlannedBatch {
  fileId: string;
  objectKey: string;
  replicas: readonly Replica[];
  byteOffset: number;
  byteLength: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export type PartitionError = 'UNKNOWN_TOPIC_OR_PARTITION' | 'OFFSET_OUT_OF_RANGE';

export interface FetchPlanPartition {
  topic: string;
  partition: number;
  highWatermark: number;
  logStartOffset: number;
  error?: PartitionError;
  batches: PlannedBatch[];
}

export interface FetchPlanResult {
  partitions: FetchPlanPartition[];
}

/** Kafka's special ListOffsets timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export interface ListOffsetsInput {
  partitions: { topic: string; partition: number; timestamp: number }[];
}

export interface ListOffsetsPartition {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  error?: 'UNKNOWN_TOPIC_OR_PARTITION';
}

export interface ListOffsetsResult {
  partitions: ListOffsetsPartition[];
}
