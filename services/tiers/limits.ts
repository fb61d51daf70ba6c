import { TIERS, type TierLimits, type TierName } from './catalogue';

export type LimitOverrides = Partial<TierLimits>;

/**
 * The largest value any limit (a tier's or a negotiated override) may take. Request schemas
 * bound counts that a limit governs (partitions of a topic, a cluster's default partitions) by
 * this, never by a tier's own figure: the cap itself is the tier's limit with the tenant's
 * overrides, checked in one place (the metadata planner's partition budget, the cluster rules).
 */
export const MAX_LIMIT_VALUE = 100_000_000;

/**
 * The limits that apply: the tier's, with the tenant's negotiated overrides on top. Tenant
 * overrides apply to every cluster of the tenant.
 */
export function effectiveLimits(tier: TierName, overrides: LimitOverrides | undefined): TierLimits {
  return { ...TIERS[tier].limits, ...(overrides ?? {}) };
}

/** `value` is within `limit`, where -1 means unlimited. */
export const withinLimit = (value: number, limit: number) => limit < 0 || value <= limit;
