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
  /** -1: no size limit. */
  defaultRetentionBytes: number;
  /** Idle producer windows and transactional ids are dropped after this. */
  producerIdExpirationMs: number;
  /** A group without members or commits for this long is removed. */
  offsetsRetentionMs: number;
  limits: { partitionsPerCluster: number; maxRetentionMs: number };
  /** Partition keys the journal is striped over, fixed at creation (journal-stripes.ts); absent: 1. */
  journalStripes?: number;
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

/** Kafka InitProducerId: a transactional id keeps its producer id and gets its epoch bumped. */
export interface InitProducerIdInput {
  transactionalId?: string | null;
  transactionTimeoutMs?: number;
  /** The caller's current id and epoch (KIP-360), to bump them; both or neither. */
  producerId?: number;
  producerEpoch?: number;
}

export interface InitProducerIdResult {
  producerId: number;
  producerEpoch: number;
  error?: 'INVALID_TRANSACTION_TIMEOUT' | 'PRODUCER_FENCED';
}

/** Kafka DeleteRecords: `offset` -1 means the high watermark. */
export interface DeleteRecordsInput {
  partitions: { topic: string; partition: number; offset: number }[];
}

export interface DeleteRecordsResult {
  partitions: { topic: string; partition: number; lowWatermark: number; error?: 'UNKNOWN_TOPIC_OR_PARTITION' | 'OFFSET_OUT_OF_RANGE' }[];
}

export interface CommitOffsetsInput {
  /** With memberId: the generation the member belongs to. Leave both out (or -1 and "") for a standalone commit. */
  generationId?: number;
  memberId?: string;
  groupInstanceId?: string | null;
  offsets: { topic: string; partition: number; offset: number; metadata?: string | null; leaderEpoch?: number }[];
}

export const GROUP_ERRORS = [
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
  'MEMBER_ID_REQUIRED',
  'INCONSISTENT_GROUP_PROTOCOL',
  'INVALID_SESSION_TIMEOUT',
  'GROUP_MAX_SIZE_REACHED',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'OFFSET_METADATA_TOO_LARGE',
] as const;
export type GroupError = (typeof GROUP_ERRORS)[number];

export interface CommitOffsetsResult {
  partitions: { topic: string; partition: number; error?: GroupError }[];
}

export interface FetchOffsetsResult {
  partitions: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string }[];
}
