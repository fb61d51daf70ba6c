import { TIERS, type TierLimits, type TierName } from './catalogue';

export type LimitOverrides = Partial<TierLimits>;

/**
 * The limits that apply: the tier's, with the tenant's negotiated overrides on top. Tenant
 * overrides apply to every cluster of the tenant.
 */
export function effectiveLimits(tier: TierName, overrides: LimitOverrides | undefined): TierLimits {
  return { ...TIERS[tier].limits, ...(overrides ?? {}) };
}

/** `value` is within `limit`, where -1 means unlimited. */
export const withinLimit = (value: number, limit: number) => limit < 0 || value <= limit;
