import { Type } from 'typebox';

/** Kafka InitProducerId, relayed by agents. */
export const InitProducerIdBody = Type.Object(
  {
    transactionalId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Null()], { description: 'Keeps the producer id across calls; each call bumps the epoch and fences the previous instance' })),
    transactionTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'At most 900000 (Kafka\'s transaction.max.timeout.ms), else INVALID_TRANSACTION_TIMEOUT' })),
    producerId: Type.Optional(Type.Integer({ minimum: -1, maximum: Number.MAX_SAFE_INTEGER, description: 'With producerEpoch: the pair to bump (KIP-360)' })),
    producerEpoch: Type.Optional(Type.Integer({ minimum: -1, maximum: 32767 })),
  },
  { additionalProperties: false, examples: [{}, { transactionalId: 'billing-writer-1', transactionTimeoutMs: 60000 }] },
);

export const InitProducerIdResponse = Type.Object(
  {
    producerId: Type.Integer(),
    producerEpoch: Type.Integer(),
    error: Type.Optional(Type.String({ examples: ['PRODUCER_FENCED', 'INVALID_TRANSACTION_TIMEOUT'] })),
  },
  { examples: [{ producerId: 4000, producerEpoch: 0 }] },
);
