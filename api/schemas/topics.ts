import { Type } from 'typebox';
import { TOPIC_NAME_PATTERN } from '../../services/metadata/contract';
import { MAX_LIMIT_VALUE } from '../../services/tiers/limits';
import { Id, IsoTime } from './common';

/** Partitions of a topic: the cluster's tier limit (with overrides) is the cap, checked when planned (422 partition_limit_exceeded). */
const PartitionCount = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_LIMIT_VALUE, description });

export const TopicName = Type.String({ pattern: TOPIC_NAME_PATTERN, description: 'Kafka topic name rules (not "." or "..")', examples: ['orders'] });

/** Kafka topic config; numbers may come as decimal strings, as Kafka clients send them. */
export const TopicConfigInput = Type.Object(
  {
    'retention.ms': Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.String({ pattern: '^-?\\d{1,19}$' })])),
    'retention.bytes': Type.Optional(Type.Union([Type.Integer({ minimum: -1 }), Type.String({ pattern: '^-?\\d{1,19}$' })])),
    'cleanup.policy': Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

const TopicConfig = Type.Object({
  'retention.ms': Type.Integer(),
  'retention.bytes': Type.Integer(),
  'cleanup.policy': Type.Literal('delete'),
});

export const TopicSummary = Type.Object({
  name: Type.String(),
  topicId: Type.String({ description: 'Kafka topic id (16 bytes, base64url)' }),
  partitions: Type.Integer(),
  config: TopicConfig,
  createdAt: IsoTime,
});

export const TopicDescription = Type.Object({
  ...TopicSummary.properties,
  partitionDetails: Type.Array(Type.Object({ partition: Type.Integer(), logStartOffset: Type.Integer(), highWatermark: Type.Integer(), bytes: Type.Integer() })),
});

export const CreateTopicBody = Type.Object(
  { name: TopicName, partitions: PartitionCount("At most the cluster's partitionsPerCluster limit in total (422 partition_limit_exceeded)"), config: Type.Optional(TopicConfigInput) },
  { additionalProperties: false, examples: [{ name: 'orders', partitions: 12, config: { 'retention.ms': 604800000 } }] },
);

export const UpdateTopicBody = Type.Object(
  { partitions: Type.Optional(PartitionCount('New total; partitions only grow, within the cluster\'s partitionsPerCluster limit')), config: Type.Optional(TopicConfigInput) },
  { additionalProperties: false, minProperties: 1, examples: [{ partitions: 24 }, { config: { 'retention.ms': 86400000 } }] },
);

export const TopicParams = Type.Object({ clusterId: Id('cluster'), topic: TopicName }, { additionalProperties: false });
export const TopicList = Type.Object({ items: Type.Array(TopicSummary) });
