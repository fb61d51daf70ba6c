/**
 * The tier catalogue: what each plan allows. Versioned, because tenants and invoices refer
 * to the limits that applied at the time; bump `TIER_CATALOGUE_VERSION` on any change.
 */
export const TIER_CATALOGUE_VERSION = '2026-11-25';

export const TIER_NAMES = ['dev', 'fundamentals', 'pro', 'enterprise'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export interface TierLimits {
  clustersPerTenant: number;
  partitionsPerCluster: number;
  agentsPerCluster: number;
  /** Longest `retention.ms` a topic may ask for; -1 means unlimited. */
  maxRetentionMs: number;
  metadataRequestsPerSecond: number;
  topicRestoreWindowHours: number;
}

/**
 * Unit prices in micro-US-dollars (1,000,000 = $1), exact in integers. Storage is the live
 * files' size averaged over each hour; partitions and agents are counted per hour.
 */
export interface UnitPrices {
  perGbWritten: number;
  perGbMonthStored: number;
  perPartitionHour: number;
  perAgentHour: number;
  perMillionMetadataRequests: number;
}

export interface Tier {
  name: TierName;
  rank: number;
  displayName: string;
  /** Monthly availability target in percent; null when there is no SLA. */
  slaPercent: number | null;
  multiRegion: boolean;
  limits: TierLimits;
  unitPricesMicroUsd: UnitPrices;
}

const DAY_MS = 24 * 3600 * 1000;

export const TIERS: Record<TierName, Tier> = {
  dev: {
    name: 'dev',
    rank: 0,
    displayName: 'Dev',
    slaPercent: null,
    multiRegion: false,
    limits: {
      clustersPerTenant: 2,
      partitionsPerCluster: 4096,
      agentsPerCluster: 5,
      maxRetentionMs: 7 * DAY_MS,
      metadataRequestsPerSecond: 200,
      topicRestoreWindowHours: 0,
    },
    unitPricesMicroUsd: { perGbWritten: 0, perGbMonthStored: 0, perPartitionHour: 0, perAgentHour: 0, perMillionMetadataRequests: 0 },
  },
  fundamentals: {
    name: 'fundamentals',
    rank: 1,
    displayName: 'Fundamentals',
    slaPercent: 99.9,
    multiRegion: false,
    limits: {
      clustersPerTenant: 10,
      partitionsPerCluster: 16_384,
      agentsPerCluster: 50,
      maxRetentionMs: 30 * DAY_MS,
      metadataRequestsPerSecond: 2_000,
      topicRestoreWindowHours: 24,
    },
    unitPricesMicroUsd: { perGbWritten: 55_000, perGbMonthStored: 10_000, perPartitionHour: 20, perAgentHour: 0, perMillionMetadataRequests: 250_000 },
  },
  pro: {
    name: 'pro',
    rank: 2,
    displayName: 'Pro',
    slaPercent: 99.99,
    multiRegion: false,
    limits: {
      clustersPerTenant: 25,
      partitionsPerCluster: 50_000,
      agentsPerCluster: 200,
      maxRetentionMs: 365 * DAY_MS,
      metadataRequestsPerSecond: 10_000,
      topicRestoreWindowHours: 7 * 24,
    },
    unitPricesMicroUsd: { perGbWritten: 50_000, perGbMonthStored: 9_000, perPartitionHour: 15, perAgentHour: 0, perMillionMetadataRequests: 200_000 },
  },
  enterprise: {
    name: 'enterprise',
    rank: 3,
    displayName: 'Enterprise',
    slaPercent: 99.999,
    multiRegion: true,
    limits: {
      clustersPerTenant: 100,
      partitionsPerCluster: 200_000,
      agentsPerCluster: 1_000,
      maxRetentionMs: -1,
      metadataRequestsPerSecond: 50_000,
      topicRestoreWindowHours: 30 * 24,
    },
    unitPricesMicroUsd: { perGbWritten: 80_000, perGbMonthStored: 12_000, perPartitionHour: 25, perAgentHour: 10_000, perMillionMetadataRequests: 300_000 },
  },
};

export const LIMIT_NAMES = Object.keys(TIERS.dev.limits) as (keyof TierLimits)[];

export const isTierName = (v: string): v is TierName => (TIER_NAMES as readonly string[]).includes(v);

/** True when `tier` is at most `ceiling` (a cluster's tier may not exceed its tenant's plan). */
export const tierAtMost = (tier: TierName, ceiling: TierName) => TIERS[tier].rank <= TIERS[ceiling].rank;
