import { TIERS, TIER_CATALOGUE_VERSION, isTierName, type TierName } from '../tiers/catalogue';

/**
 * Usage of one cluster over one period. Counters add up across hours (and across the nodes
 * that counted them); storage is kept as byte-hours (the live files' bytes averaged over each
 * hour, summed) so that days add up too, and partitions as partition-hours.
 */
export interface UsageCounts {
  bytesWritten: number;
  recordsWritten: number;
  metadataRequests: number;
  agentHours: number;
  storageByteHours: number;
  partitionHours: number;
  /** Most partitions seen in the period. */
  partitionsMax: number;
}

export const ZERO_COUNTS: UsageCounts = { bytesWritten: 0, recordsWritten: 0, metadataRequests: 0, agentHours: 0, storageByteHours: 0, partitionHours: 0, partitionsMax: 0 };

export type Granularity = 'hour' | 'day';

export interface UsageCost {
  currency: 'USD';
  /** Total in micro-dollars (1,000,000 = $1): the sum of the lines. */
  totalMicroUsd: number;
  lines: { bytesWritten: number; storage: number; partitions: number; agents: number; metadataRequests: number };
}

export interface UsageItem extends UsageCounts {
  tenantId: string;
  clusterId: string;
  granularity: Granularity;
  /** Start of the period (ISO time), and its length in hours. */
  periodStart: string;
  hours: number;
  /** Average live storage over the period. */
  storageBytes: number;
  tier: TierName;
  catalogueVersion: string;
  cost: UsageCost;
  updatedAt: string;
}

const HOUR_MS = 3_600_000;
const GB = 1e9;
const HOURS_PER_MONTH = 730;

/** `2026-11-25T22`: the hour bucket of a time (UTC), sortable as text. */
export const hourKey = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13);
export const dayOfHour = (hour: string) => hour.slice(0, 10);
export const monthOfDay = (day: string) => day.slice(0, 7);
export const hourStartMs = (hour: string) => Date.parse(`${hour}:00:00.000Z`);
export const dayStartMs = (day: string) => Date.parse(`${day}T00:00:00.000Z`);

export function addCounts(a: UsageCounts, b: UsageCounts): UsageCounts {
  return {
    bytesWritten: a.bytesWritten + b.bytesWritten,
    recordsWritten: a.recordsWritten + b.recordsWritten,
    metadataRequests: a.metadataRequests + b.metadataRequests,
    agentHours: round6(a.agentHours + b.agentHours),
    storageByteHours: a.storageByteHours + b.storageByteHours,
    partitionHours: a.partitionHours + b.partitionHours,
    partitionsMax: Math.max(a.partitionsMax, b.partitionsMax),
  };
}

export const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** Prices counts with the tier's unit prices; each line rounds to a whole micro-dollar. */
export function price(counts: UsageCounts, tierName: string): { tier: TierName; catalogueVersion: string; cost: UsageCost } {
  const tier: TierName = isTierName(tierName) ? tierName : 'dev';
  const p = TIERS[tier].unitPricesMicroUsd;
  const lines = {
    bytesWritten: Math.round((counts.bytesWritten / GB) * p.perGbWritten),
    storage: Math.round((counts.storageByteHours / GB / HOURS_PER_MONTH) * p.perGbMonthStored),
    partitions: Math.round(counts.partitionHours * p.perPartitionHour),
    agents: Math.round(counts.agentHours * p.perAgentHour),
    metadataRequests: Math.round((counts.metadataRequests / 1e6) * p.perMillionMetadataRequests),
  };
  const totalMicroUsd = Object.values(lines).reduce((s, v) => s + v, 0);
  return { tier, catalogueVersion: TIER_CATALOGUE_VERSION, cost: { currency: 'USD', totalMicroUsd, lines } };
}

export function sameCounts(a: UsageCounts, b: UsageCounts): boolean {
  return (Object.keys(ZERO_COUNTS) as (keyof UsageCounts)[]).every((k) => a[k] === b[k]);
}
