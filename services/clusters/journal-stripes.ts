import type { TierName } from '../tiers/catalogue';

/**
 * How many partition keys a cluster's metadata journal is striped over (the metadata domain's
 * journal-stripes.ts says how). One DynamoDB partition key takes about 1,000 write units a
 * second, so a 1-stripe journal caps a cluster near 1 MB/s of journal, roughly 1,900 commits/s
 * of 20 batches; N stripes lift that cap N times. The count is fixed at creation: it decides
 * where every journal slot lives, and all nodes must agree on it for the journal's fence to hold.
 */
export const MIN_JOURNAL_STRIPES = 1;
/** Recovery queries every stripe: keep the fan-out small. */
export const MAX_JOURNAL_STRIPES = 16;

/** The default per tier: bigger plans get the write headroom their partition and request limits imply. */
export const JOURNAL_STRIPES_BY_TIER: Record<TierName, number> = { dev: 1, fundamentals: 2, pro: 8, enterprise: 16 };

/**
 * The stripe count of a new cluster: the tenant's admin-set count, else the tier's default,
 * never above the fleet's cap (`HM_MAX_JOURNAL_STRIPES`, which is 1 during a rolling upgrade
 * from a version without stripes: nodes of that version read every journal as one key).
 */
export function chooseJournalStripes(tier: TierName, tenantSetting: number | undefined, cap: number): number {
  return Math.max(MIN_JOURNAL_STRIPES, Math.min(tenantSetting ?? JOURNAL_STRIPES_BY_TIER[tier], cap, MAX_JOURNAL_STRIPES));
}
