import { Type } from 'typebox';
import { TopicName } from './topics';

/**
 * Agent metadata requests. Shapes are checked here; the sequencer checks meaning (byte
 * ranges, duplicates, regions, quorum) and answers per-batch or per-partition errors.
 */
const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Partition = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const Bytes = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Timestamp = Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER });

const Replica = Type.Object(
  { region: Type.String({ pattern: '^[a-z]{2,}(-[a-z0-9]+)+$', maxLength: 32 }), bucket: Type.String({ minLength: 1, maxLength: 512 }), checksum: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

const Batch = Type.Object(
  {
    topic: TopicName,
    partition: Partition,
    byteOffset: Bytes,
    byteLength: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
    recordCount: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
    maxTimestamp: Timestamp,
    producerId: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    producerEpoch: Type.Optional(Type.Integer({ minimum: 0, maximum: 32767 })),
    baseSequence: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
  },
  { additionalProperties: false },
);

export const CommitFileBody = Type.Object(
  {
    fileId: Type.String({ minLength: 1, maxLength: 128, description: 'The agent\'s idempotency key for this file' }),
    objectKey: Type.String({ minLength: 1, maxLength: 1024 }),
    sizeBytes: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    replicas: Type.Array(Replica, { minItems: 1, maxItems: 8 }),
    batches: Type.Array(Batch, { minItems: 1, maxItems: 20_000 }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        fileId: 'f-7f9c-000142',
        objectKey: 'warpstream/_segments/2026/11/24/f-7f9c-000142',
        sizeBytes: 8192,
        replicas: [{ region: 'us-east-1', bucket: 's3://acme-streaming/orders', checksum: 'crc32c:8f1d2a3b' }],
        batches: [{ topic: 'orders', partition: 0, byteOffset: 0, byteLength: 4096, recordCount: 100, maxTimestamp: 1764009000000 }],
      },
    ],
  },
);

export const CommitFileResponse = Type.Object({
  fileId: Type.String(),
  duplicate: Type.Boolean({ description: 'True when this fileId was already committed: nothing was written' }),
  results: Type.Array(
    Type.Object({
      topic: Type.String(),
      partition: Type.Integer(),
      baseOffset: Type.Optional(Type.Integer()),
      lastOffset: Type.Optional(Type.Integer()),
      duplicate: Type.Optional(Type.Boolean()),
      error: Type.Optional(Type.String({ examples: ['UNKNOWN_TOPIC_OR_PARTITION'] })),
    }),
  ),
});

export const FetchPlanBody = Type.Object(
  {
    partitions: Type.Array(Type.Object({ topic: TopicName, partition: Partition, offset: Offset, maxBytes: Type.Integer({ minimum: 1, maximum: 2 ** 31 }) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 10_000,
    }),
    maxBytes: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
  },
  { additionalProperties: false, examples: [{ partitions: [{ topic: 'orders', partition: 0, offset: 0, maxBytes: 1048576 }], maxBytes: 52428800 }] },
);

const Planned = Type.Object({
  fileId: Type.String(),
  objectKey: Type.String(),
  replicas: Type.Array(Type.Object({ region: Type.String(), bucket: Type.String(), checksum: Type.String() })),
  byteOffset: Type.Integer(),
  byteLength: Type.Integer(),
  baseOffset: Type.Integer(),
  lastOffset: Type.Integer(),
  maxTimestamp: Type.Integer(),
});

export const FetchPlanResponse = Type.Object({
  partitions: Type.Array(
    Type.Object({
      topic: Type.String(),
      partition: Type.Integer(),
      highWatermark: Type.Integer(),
      logStartOffset: Type.Integer(),
      error: Type.Optional(Type.String({ examples: ['OFFSET_OUT_OF_RANGE'] })),
      batches: Type.Array(Planned),
    }),
  ),
});

export const ListOffsetsBody = Type.Object(
  {
    partitions: Type.Array(
      Type.Object({ topic: TopicName, partition: Partition, timestamp: Type.Integer({ minimum: -3, maximum: Number.MAX_SAFE_INTEGER, description: '-1 latest, -2 earliest, -3 max timestamp, else epoch ms' }) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false, examples: [{ partitions: [{ topic: 'orders', partition: 0, timestamp: -1 }] }] },
);

export const ListOffsetsResponse = Type.Object({
  partitions: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), offset: Type.Integer(), timestamp: Type.Integer(), error: Type.Optional(Type.String()) })),
});
