import { Type } from 'typebox';
import { Id, IsoTime } from './common';
import { TierName } from './tiers';

const Count = Type.Integer({ minimum: 0 });
const When = Type.String({ minLength: 10, maxLength: 40, description: 'ISO date or time (UTC), e.g. 2026-11-01 or 2026-11-01T00:00:00Z', examples: ['2026-11-01T00:00:00Z'] });

const range = {
  from: When,
  to: Type.String({ ...When, description: 'End of the range (exclusive), rounded up to a whole period' }),
  granularity: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day', description: 'Hourly items (at most 31 days per request) or daily ones (at most 366)' })),
  clusterId: Type.Optional(Id('cluster')),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: '`csv`: the whole range as one CSV file (limit and cursor ignored)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Items per page (1..100)' })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The `nextCursor` of the previous page' })),
};

export const UsageQuery = Type.Object(range, { additionalProperties: false });
export const AdminUsageQuery = Type.Object({ ...range, tenantId: Type.Optional(Id('tenant')) }, { additionalProperties: false });

export const UsageItem = Type.Object({
  tenantId: Type.String(),
  clusterId: Type.String(),
  granularity: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
  periodStart: IsoTime,
  hours: Type.Integer({ description: 'Length of the period' }),
  bytesWritten: Count,
  recordsWritten: Count,
  metadataRequests: Count,
  agentHours: Type.Number({ minimum: 0 }),
  storageBytes: Type.Integer({ minimum: 0, description: 'Live files, averaged over the period' }),
  storageByteHours: Type.Integer({ minimum: 0 }),
  partitionsMax: Count,
  partitionHours: Count,
  tier: TierName,
  catalogueVersion: Type.String(),
  cost: Type.Object({
    currency: Type.Literal('USD'),
    totalMicroUsd: Count,
    lines: Type.Object({ bytesWritten: Count, storage: Count, partitions: Count, agents: Count, metadataRequests: Count }),
  }),
  updatedAt: IsoTime,
});

export const UsagePage = Type.Object({
  items: Type.Array(UsageItem),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
});
