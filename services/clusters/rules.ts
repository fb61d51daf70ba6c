import { badRequest, unprocessable } from '../../shared/errors';
import { TIERS, tierAtMost, type TierLimits, type TierName } from '../tiers/catalogue';
import { withinLimit } from '../tiers/limits';
import type { ClusterConfig, ClusterStorage } from './model';

/** Multi-region clusters: three regions, one bucket each, a write quorum of two. */
export const MULTI_REGION_COUNT = 3;
export const MULTI_REGION_WRITE_QUORUM = 2;

/** The business rules a cluster's shape must meet, beyond what the request schema checks. */
export function checkTierAllowed(clusterTier: TierName, tenantTier: TierName) {
  if (!tierAtMost(clusterTier, tenantTier)) {
    throw unprocessable('tier_not_allowed', `The tenant's plan is "${tenantTier}"; a cluster cannot be on the higher tier "${clusterTier}".`);
  }
}

export function checkTopology(tier: TierName, regions: string[], storage: ClusterStorage) {
  if (new Set(regions).size !== regions.length) throw badRequest('invalid_regions', 'regions must not repeat.');
  if (regions.length !== 1 && regions.length !== MULTI_REGION_COUNT) {
    throw badRequest('invalid_regions', `A cluster has one region, or ${MULTI_REGION_COUNT} for multi-region.`);
  }
  const multi = regions.length === MULTI_REGION_COUNT;
  if (multi && !TIERS[tier].multiRegion) {
    throw unprocessable('multi_region_not_allowed', `Multi-region clusters need the enterprise tier (this cluster is "${tier}").`);
  }
  const bucketRegions = storage.buckets.map((b) => b.region);
  if (bucketRegions.length !== regions.length || new Set(bucketRegions).size !== bucketRegions.length || !bucketRegions.every((r) => regions.includes(r))) {
    throw badRequest('invalid_storage', 'storage.buckets must name exactly one bucket for each of the cluster\'s regions.');
  }
  const wanted = multi ? MULTI_REGION_WRITE_QUORUM : 1;
  if (storage.writeQuorum !== wanted) {
    throw badRequest('invalid_write_quorum', multi ? `Multi-region clusters use a write quorum of ${MULTI_REGION_WRITE_QUORUM} of ${MULTI_REGION_COUNT}.` : 'Single-region clusters use a write quorum of 1.');
  }
}

export function checkConfig(config: ClusterConfig, limits: TierLimits) {
  if (config.defaultPartitions > limits.partitionsPerCluster) {
    throw unprocessable('partitions_exceed_tier', `config.defaultPartitions may be at most ${limits.partitionsPerCluster} on this tier.`);
  }
  if (!withinLimit(config.defaultRetentionMs, limits.maxRetentionMs)) {
    throw unprocessable('retention_exceeds_tier', `config.defaultRetentionMs may be at most ${limits.maxRetentionMs} on this tier.`);
  }
}
