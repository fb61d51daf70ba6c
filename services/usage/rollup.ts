import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { ZERO_COUNTS, addCounts, dayOfHour, dayStartMs, hourStartMs, price, round6, sameCounts, type UsageCost, type UsageCounts, type UsageItem } from './model';
import type { RawUsage, UsageStore } from './store';

/** Index reads lag behind writes: each run looks this far behind the last run's start. */
const LOOKBACK_MS = 5 * 60_000;

/**
 * The roll-up (a periodic worker job): every hour some node flushed counts for since the last
 * run is recomputed from all nodes' counts, priced with the cluster's tier, and written when
 * it changed; then the days holding those hours are summed again from their hours. Both are
 * pure recomputations, so running twice, or late counts arriving for an old hour (a node that
 * could not flush for a while), simply rewrite the hour and its day with the right totals.
 */
export function usageRollup(deps: { store: UsageStore; clock: Clock; tierOf: (tenantId: string, clusterId: string) => Promise<string>; logger: Logger }) {
  const { store } = deps;

  async function rollHour(tenantId: string, hour: string, tiers: Map<string, string>): Promise<number> {
    const byCluster = new Map<string, RawUsage[]>();
    for (const r of await store.rawOfHour(tenantId, hour)) byCluster.set(r.clusterId, [...(byCluster.get(r.clusterId) ?? []), r]);
    const existing = new Map((await store.itemsWithPrefix(tenantId, 'hour', `${hour}#`)).map((i) => [i.clusterId, i]));
    let written = 0;
    for (const [clusterId, raws] of byCluster) {
      const sum = (f: (r: RawUsage) => number) => raws.reduce((s, r) => s + f(r), 0);
      const samples = sum((r) => r.storageSamples);
      const partitions = Math.max(0, ...raws.map((r) => r.partitionsMax));
      const counts: UsageCounts = {
        bytesWritten: sum((r) => r.bytesWritten),
        recordsWritten: sum((r) => r.recordsWritten),
        metadataRequests: sum((r) => r.metadataRequests),
        agentHours: round6(sum((r) => r.agentSeconds) / 3600),
        storageByteHours: samples > 0 ? Math.round(sum((r) => r.storageByteSamples) / samples) : 0,
        partitionHours: partitions,
        partitionsMax: partitions,
      };
      const before = existing.get(clusterId);
      if (before && sameCounts(before, counts)) continue;
      const key = `${tenantId}/${clusterId}`;
      if (!tiers.has(key)) tiers.set(key, await deps.tierOf(tenantId, clusterId));
      await store.putUsage(item(tenantId, clusterId, 'hour', hourStartMs(hour), 1, counts, price(counts, tiers.get(key)!)), hour);
      written++;
    }
    return written;
  }

  async function rollDay(tenantId: string, day: string): Promise<number> {
    const hours = await store.itemsWithPrefix(tenantId, 'hour', day);
    const existing = new Map((await store.itemsWithPrefix(tenantId, 'day', `${day}#`)).map((i) => [i.clusterId, i]));
    const byCluster = new Map<string, UsageItem[]>();
    for (const h of hours) byCluster.set(h.clusterId, [...(byCluster.get(h.clusterId) ?? []), h]);
    let written = 0;
    for (const [clusterId, items] of byCluster) {
      items.sort((a, b) => a.periodStart.localeCompare(b.periodStart));
      const counts = items.reduce<UsageCounts>((s, i) => addCounts(s, i), ZERO_COUNTS);
      // A day costs what its hours cost (each priced with the tier it had then).
      const lines = { bytesWritten: 0, storage: 0, partitions: 0, agents: 0, metadataRequests: 0 };
      for (const i of items) for (const k of Object.keys(lines) as (keyof typeof lines)[]) lines[k] += i.cost.lines[k];
      const cost: UsageCost = { currency: 'USD', totalMicroUsd: Object.values(lines).reduce((s, v) => s + v, 0), lines };
      const last = items[items.length - 1];
      const before = existing.get(clusterId);
      if (before && sameCounts(before, counts) && before.cost.totalMicroUsd === cost.totalMicroUsd) continue;
      await store.putUsage(item(tenantId, clusterId, 'day', dayStartMs(day), 24, counts, { tier: last.tier, catalogueVersion: last.catalogueVersion, cost }), day);
      written++;
    }
    return written;
  }

  function item(tenantId: string, clusterId: string, granularity: 'hour' | 'day', startMs: number, hours: number, counts: UsageCounts, priced: ReturnType<typeof price>): UsageItem {
    return {
      tenantId,
      clusterId,
      granularity,
      periodStart: new Date(startMs).toISOString(),
      hours,
      ...counts,
      storageBytes: Math.round(counts.storageByteHours / hours),
      ...priced,
      updatedAt: new Date(deps.clock.now()).toISOString(),
    };
  }

  return async function rollUp() {
    const startedAt = deps.clock.now();
    const mark = await store.watermark();
    const since = mark ? new Date(Date.parse(mark) - LOOKBACK_MS).toISOString() : undefined;
    const dirty = await store.dirtySince(since);
    const tiers = new Map<string, string>();
    const days = new Map<string, { tenantId: string; day: string }>();
    let hourItems = 0;
    let dayItems = 0;
    for (const { tenantId, hour } of dirty) {
      hourItems += await rollHour(tenantId, hour, tiers);
      days.set(`${tenantId}#${dayOfHour(hour)}`, { tenantId, day: dayOfHour(hour) });
    }
    for (const { tenantId, day } of days.values()) dayItems += await rollDay(tenantId, day);
    await store.setWatermark(new Date(startedAt).toISOString());
    if (hourItems + dayItems > 0) deps.logger.info({ hours: dirty.length, hourItems, dayItems }, 'usage rolled up');
    return { hours: dirty.length, hourItems, dayItems };
  };
}
export type UsageRollup = ReturnType<typeof usageRollup>;
