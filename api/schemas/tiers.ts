import { Type } from 'typebox';
import { TIER_NAMES } from '../../services/tiers/catalogue';
import { MAX_LIMIT_VALUE } from '../../services/tiers/limits';

export const TierName = Type.Enum(TIER_NAMES, { description: 'dev < fundamentals < pro < enterprise' });

const Count = Type.Integer({ minimum: 0, maximum: MAX_LIMIT_VALUE });
export const Limits = Type.Object(
  {
    clustersPerTenant: Count,
    partitionsPerCluster: Count,
    agentsPerCluster: Count,
    maxRetentionMs: Type.Integer({ minimum: -1, maximum: 100 * 365 * 24 * 3600 * 1000, description: '-1 means unlimited' }),
    metadataRequestsPerSecond: Count,
    topicRestoreWindowHours: Count,
  },
  { additionalProperties: false },
);
/** Negotiated per-tenant limits; each replaces the tier's value. */
export const LimitOverrides = Type.Partial(Limits, { additionalProperties: false, examples: [{ clustersPerTenant: 40 }] });

export const Tier = Type.Object({
  name: TierName,
  rank: Type.Integer(),
  displayName: Type.String(),
  slaPercent: Type.Union([Type.Number(), Type.Null()]),
  multiRegion: Type.Boolean(),
  limits: Limits,
  unitPricesMicroUsd: Type.Object(
    {
      perGbWritten: Type.Integer({ minimum: 0 }),
      perGbMonthStored: Type.Integer({ minimum: 0 }),
      perPartitionHour: Type.Integer({ minimum: 0 }),
      perAgentHour: Type.Integer({ minimum: 0 }),
      perMillionMetadataRequests: Type.Integer({ minimum: 0 }),
    },
    { description: 'Usage prices in micro-USD (1,000,000 = $1); see GET /v1/usage' },
  ),
});

export const TierCatalogue = Type.Object({
  version: Type.String({ examples: ['2026-11-01'] }),
  tiers: Type.Array(Tier),
});
