import type { Db, Item } from '../../shared/dynamo';
import { tenantUsagePk } from '../../shared/keys';
import { dayOfHour, monthOfDay, type Granularity, type UsageItem } from './model';

/**
 * Usage items in the control table (layout in shared/keys.ts).
 *
 *   raw    T#<t>#USAGE  R#<hour>#<cluster>#<node>   one node's counts for an hour, rewritten
 *          whole on every flush (so a retried flush is harmless); listed in the "dirty" index
 *          (gsi1 USAGEDIRTY#<shard>, by flush time) for the roll-up; expire after 8 days.
 *   hour   T#<t>#USAGE  H#<hour>#<cluster>          gsi1 USAGE#H#<day>   / <hour>#<t>#<cluster>
 *   day    T#<t>#USAGE  D#<day>#<cluster>           gsi1 USAGE#D#<month> / <day>#<t>#<cluster>
 *
 * A tenant's items go through its view of the store (the tenant fence); the index reads that
 * span tenants (the dirty index, usage across tenants) and the roll-up's watermark do not.
 */
export interface RawUsage {
  tenantId: string;
  clusterId: string;
  hour: string;
  node: string;
  bytesWritten: number;
  recordsWritten: number;
  metadataRequests: number;
  agentSeconds: number;
  storageByteSamples: number;
  storageSamples: number;
  partitionsMax: number;
  flushedAt: string;
}

/** Dirty-index partitions: spreads flushes of many clusters over several index partitions. */
export const DIRTY_SHARDS = 8;
const RAW_TTL_SECONDS = 8 * 24 * 3600;
const WATERMARK = { pk: 'USAGE#ROLLUP', sk: 'WATERMARK' };
const letter = (g: Granularity) => (g === 'hour' ? 'H' : 'D');

function shardOf(clusterId: string): number {
  let h = 0;
  for (let i = 0; i < clusterId.length; i++) h = (h * 31 + clusterId.charCodeAt(i)) | 0;
  return Math.abs(h) % DIRTY_SHARDS;
}

const strip = <T>({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, ttl: _t, ...rest }: Item) => rest as T;

export function usageStore(db: Db, table: string) {
  const usageKey = (g: Granularity, period: string, tenantId: string, clusterId: string) => ({
    pk: tenantUsagePk(tenantId),
    sk: `${letter(g)}#${period}#${clusterId}`,
  });

  return {
    async putRaw(r: RawUsage): Promise<void> {
      await db.forTenant(r.tenantId).put(table, {
        pk: tenantUsagePk(r.tenantId),
        sk: `R#${r.hour}#${r.clusterId}#${r.node}`,
        gsi1pk: `USAGEDIRTY#${shardOf(r.clusterId)}`,
        gsi1sk: `${r.flushedAt}#${r.tenantId}#${r.hour}`,
        ttl: Math.floor(Date.parse(r.flushedAt) / 1000) + RAW_TTL_SECONDS,
        ...r,
      });
    },

    /** (tenant, hour) pairs with raw counts flushed at or after `since` (ISO time); all of them without one. */
    async dirtySince(since: string | undefined): Promise<{ tenantId: string; hour: string }[]> {
      const out = new Map<string, { tenantId: string; hour: string }>();
      for (let shard = 0; shard < DIRTY_SHARDS; shard++) {
        // DynamoDB refuses an empty string as a key value, in a key condition too (dynalite lets it through).
        for await (const it of db.queryAll<{ tenantId: string; hour: string }>({
          table,
          index: 'gsi1',
          keyCondition: since ? 'gsi1pk = :p AND gsi1sk >= :s' : 'gsi1pk = :p',
          values: { ':p': `USAGEDIRTY#${shard}`, ...(since ? { ':s': since } : {}) },
        })) {
          out.set(`${it.tenantId}#${it.hour}`, { tenantId: it.tenantId, hour: it.hour });
        }
      }
      return [...out.values()];
    },

    async rawOfHour(tenantId: string, hour: string): Promise<RawUsage[]> {
      const items: RawUsage[] = [];
      for await (const it of db.forTenant(tenantId).queryAll<Item>({ table, keyCondition: 'pk = :pk AND begins_with(sk, :p)', values: { ':pk': tenantUsagePk(tenantId), ':p': `R#${hour}#` } })) {
        items.push(strip<RawUsage>(it));
      }
      return items;
    },

    /** A tenant's rolled-up items whose period starts with `prefix` (an hour, a day...). */
    async itemsWithPrefix(tenantId: string, g: Granularity, prefix: string): Promise<UsageItem[]> {
      const items: UsageItem[] = [];
      for await (const it of db.forTenant(tenantId).queryAll<Item>({ table, keyCondition: 'pk = :pk AND begins_with(sk, :p)', values: { ':pk': tenantUsagePk(tenantId), ':p': `${letter(g)}#${prefix}` } })) {
        items.push(strip<UsageItem>(it));
      }
      return items;
    },

    async putUsage(item: UsageItem, period: string): Promise<void> {
      const key = usageKey(item.granularity, period, item.tenantId, item.clusterId);
      const index = item.granularity === 'hour' ? `USAGE#H#${dayOfHour(period)}` : `USAGE#D#${monthOfDay(period)}`;
      await db.forTenant(item.tenantId).put(table, { ...key, gsi1pk: index, gsi1sk: `${period}#${item.tenantId}#${item.clusterId}`, ...item });
    },

    /** One page of a tenant's items with `from <= period < to` (period keys), optionally one cluster's. */
    async page(tenantId: string, g: Granularity, from: string, to: string, clusterId: string | undefined, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query<Item>({
        table,
        keyCondition: 'pk = :pk AND sk BETWEEN :a AND :b',
        filter: clusterId ? 'clusterId = :c' : undefined,
        values: { ':pk': tenantUsagePk(tenantId), ':a': `${letter(g)}#${from}`, ':b': `${letter(g)}#${to}`, ...(clusterId ? { ':c': clusterId } : {}) },
        limit,
        startKey,
      });
      // `X#<to>` sorts before every key of period `to`: the range is from (inclusive) to `to` (exclusive).
      return { items: page.items.map((i) => strip<UsageItem>(i)), lastKey: page.lastKey };
    },

    /** One page of every tenant's items in one index partition (a day of hours, a month of days). */
    async pageAcross(g: Granularity, partition: string, from: string, to: string, filter: { tenantId?: string; clusterId?: string }, limit: number, startKey?: Item) {
      const conds: string[] = [];
      const values: Item = { ':p': `USAGE#${letter(g)}#${partition}`, ':a': from, ':b': to };
      if (filter.tenantId) {
        conds.push('tenantId = :t');
        values[':t'] = filter.tenantId;
      }
      if (filter.clusterId) {
        conds.push('clusterId = :c');
        values[':c'] = filter.clusterId;
      }
      const page = await db.query<Item>({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p AND gsi1sk BETWEEN :a AND :b',
        filter: conds.length > 0 ? conds.join(' AND ') : undefined,
        values,
        limit,
        startKey,
      });
      return { items: page.items.map((i) => strip<UsageItem>(i)), lastKey: page.lastKey };
    },

    async watermark(): Promise<string | undefined> {
      return (await db.get<{ at: string }>(table, WATERMARK))?.at;
    },

    async setWatermark(at: string): Promise<void> {
      await db.put(table, { ...WATERMARK, at });
    },
  };
}
export type UsageStore = ReturnType<typeof usageStore>;
