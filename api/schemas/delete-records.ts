import { Type } from 'typebox';
import { TopicName } from './topics';

/** Kafka DeleteRecords, relayed by agents. */
export const DeleteRecordsBody = Type.Object(
  {
    partitions: Type.Array(
      Type.Object(
        {
          topic: TopicName,
          partition: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 }),
          offset: Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, description: 'The new log start offset; -1 for the high watermark' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false, examples: [{ partitions: [{ topic: 'orders', partition: 0, offset: 1000 }, { topic: 'orders', partition: 1, offset: -1 }] }] },
);

export const DeleteRecordsResponse = Type.Object(
  {
    partitions: Type.Array(
      Type.Object({
        topic: Type.String(),
        partition: Type.Integer(),
        lowWatermark: Type.Integer({ description: 'The log start offset after the call; -1 with an error' }),
        error: Type.Optional(Type.String({ examples: ['OFFSET_OUT_OF_RANGE', 'UNKNOWN_TOPIC_OR_PARTITION'] })),
      }),
    ),
  },
  { examples: [{ partitions: [{ topic: 'orders', partition: 0, lowWatermark: 1000 }] }] },
);
