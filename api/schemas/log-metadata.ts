import { Type } from 'typebox';
import * as C from '../../services/metadata/contract';
import { TopicName } from './topics';

/**
 * Agent metadata requests. Every limit and pattern comes from the contract
 * (services/metadata/contract.ts), which the sequencer's validators use too, so this schema
 * and the OpenAPI document state exactly what is enforced. Shapes are checked here; the
 * sequencer checks meaning (byte ranges, duplicates, regions, quorum) and answers per-batch or
 * per-partition errors.
 */
const int = (minimum: number, maximum: number, description?: string) => Type.Integer({ minimum, maximum, ...(description ? { description } : {}) });
const text = (maxBytes: number, description: string) =>
  Type.String({ minLength: 1, maxLength: maxBytes, pattern: C.TEXT_PATTERN, description: `${description}; at most ${maxBytes} bytes (UTF-8), no control characters` });
const Partition = int(0, C.MAX_PARTITION_NUMBER);
const Offset = int(0, C.MAX_OFFSET);
const FetchBytes = int(C.MIN_FETCH_BYTES, C.MAX_FETCH_BYTES);

const Replica = Type.Object(
  {
    region: Type.String({ pattern: C.REGION_PATTERN, maxLength: C.MAX_REGION_LENGTH, description: 'One of the cluster\'s regions' }),
    bucket: text(C.MAX_BUCKET_BYTES, 'The bucket holding this copy'),
    checksum: text(C.MAX_CHECKSUM_BYTES, 'The copy\'s checksum, e.g. crc32c:8f1d2a3b'),
  },
  { additionalProperties: false },
);

const noProducer = `${C.NO_PRODUCER} (or leaving out all three producer fields) means a batch without an idempotent producer`;
const Batch = Type.Object(
  {
    topic: TopicName,
    partition: Partition,
    byteOffset: int(0, C.MAX_FILE_BYTES - 1),
    byteLength: int(1, C.MAX_BATCH_BYTES, 'byteOffset + byteLength must not pass sizeBytes'),
    recordCount: int(1, C.MAX_RECORDS_PER_BATCH),
    maxTimestamp: int(-1, C.MAX_TIMESTAMP_MS, 'Epoch milliseconds; -1 when the batch has none'),
    producerId: Type.Optional(int(C.NO_PRODUCER, C.MAX_PRODUCER_ID, noProducer)),
    producerEpoch: Type.Optional(int(C.NO_PRODUCER, C.MAX_PRODUCER_EPOCH, noProducer)),
    baseSequence: Type.Optional(int(C.NO_PRODUCER, C.MAX_SEQUENCE, noProducer)),
  },
  { additionalProperties: false },
);

export const CommitFileBody = Type.Object(
  {
    fileId: Type.String({
      minLength: 1,
      maxLength: C.MAX_FILE_ID_LENGTH,
      pattern: C.FILE_ID_PATTERN,
      description: 'The agent\'s idempotency key for this file',
    }),
    objectKey: text(C.MAX_OBJECT_KEY_BYTES, 'The object key of the file in the bucket'),
    sizeBytes: int(1, C.MAX_FILE_BYTES),
    replicas: Type.Array(Replica, { minItems: 1, maxItems: C.MAX_REPLICAS }),
    batches: Type.Array(Batch, { minItems: 1, maxItems: C.MAX_BATCHES_PER_COMMIT }),
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

export const CommitFilesBody = Type.Object(
  {
    files: Type.Array(CommitFileBody, {
      minItems: 1,
      maxItems: C.MAX_FILES_PER_COMMIT_REQUEST,
      description: 'Files to commit, in order: offsets are assigned file after file, as if committed one by one',
    }),
  },
  { additionalProperties: false },
);

export const CommitFilesResponse = Type.Object({
  files: Type.Array(
    Type.Object({
      fileId: Type.String(),
      status: Type.Integer({ description: '200 when committed (or already committed); else the 4xx a single-file commit would have answered', examples: [200, 409] }),
      duplicate: Type.Optional(Type.Boolean({ description: 'With 200: this fileId was already committed, nothing was written' })),
      results: Type.Optional(CommitFileResponse.properties.results),
      problem: Type.Optional(
        Type.Object(
          { code: Type.String({ examples: ['file_id_conflict'] }), detail: Type.String() },
          { additionalProperties: true, description: 'With a 4xx: why this file was refused (the fields of the problem a single-file commit would have answered)' },
        ),
      ),
    }),
    { description: 'One answer per file, in request order' },
  ),
});

export const FetchPlanBody = Type.Object(
  {
    partitions: Type.Array(Type.Object({ topic: TopicName, partition: Partition, offset: Offset, maxBytes: FetchBytes }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: C.MAX_PARTITIONS_PER_READ,
    }),
    maxBytes: FetchBytes,
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
      Type.Object(
        {
          topic: TopicName,
          partition: Partition,
          timestamp: int(C.MIN_LIST_OFFSETS_TIMESTAMP, C.MAX_LIST_OFFSETS_TIMESTAMP, '-1 latest, -2 earliest, -3 max timestamp, else epoch ms'),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: C.MAX_PARTITIONS_PER_READ },
    ),
  },
  { additionalProperties: false, examples: [{ partitions: [{ topic: 'orders', partition: 0, timestamp: -1 }] }] },
);

export const ListOffsetsResponse = Type.Object({
  partitions: Type.Array(Type.Object({ topic: Type.String(), partition: Type.Integer(), offset: Type.Integer(), timestamp: Type.Integer(), error: Type.Optional(Type.String()) })),
});
