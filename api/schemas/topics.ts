import { Type } from 'typebox';
import { TOPIC_NAME_PATTERN } from '../../services/metadata/contract';
import { Id, IsoTime } from './common';

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
  { name: TopicName, partitions: Type.Integer({ minimum: 1, maximum: 200_000 }), config: Type.Optional(TopicConfigInput) },
  { additionalProperties: false, examples: [{ name: 'orders', partitions: 12, config: { 'retention.ms': 604800000 } }] },
);

export const UpdateTopicBody = Type.Object(
  { partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 200_000, description: 'New total; partitions only grow' })), config: Type.Optional(TopicConfigInput) },
  { additionalProperties: false, minProperties: 1, examples: [{ partitions: 24 }, { config: { 'retention.ms': 86400000 } }] },
);

export const TopicParams = Type.Object({ clusterId: Id('cluster'), topic: TopicName }, { additionalProperties: false });
export const TopicList = Type.Object({ items: Type.Array(TopicSummary) });
