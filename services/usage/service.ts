import type { CursorCodec } from '../../shared/cursor';
import type { Item } from '../../shared/dynamo';
import { badRequest } from '../../shared/errors';
import { monthOfDay, type Granularity, type UsageItem } from './model';
import type { UsageStore } from './store';

export interface UsageQuery {
  from: string;
  to: string;
  granularity: Granularity;
  clusterId?: string;
  limit: number;
  cursor?: string;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Longest range per request: a month of hours, a year of days. */
const MAX_SPAN_MS: Record<Granularity, number> = { hour: 31 * DAY_MS, day: 366 * DAY_MS };

/** The range as period keys: from rounded down, to rounded up to whole periods. */
function periods(q: { from: string; to: string; granularity: Granularity }) {
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  if (Number.isNaN(from) || Number.isNaN(to)) throw badRequest('invalid_range', '`from` and `to` must be ISO dates or times.');
  // Compared before rounding: a reversed range inside one period would round to a valid one.
  if (to <= from) throw badRequest('invalid_range', '`to` must be after `from`.');
  const unit = q.granularity === 'hour' ? HOUR_MS : DAY_MS;
  const start = Math.floor(from / unit) * unit;
  const end = Math.ceil(to / unit) * unit;
  if (end <= start) throw badRequest('invalid_range', '`to` must be after `from`.');
  if (end - start > MAX_SPAN_MS[q.granularity]) {
    throw badRequest('range_too_long', `At most ${MAX_SPAN_MS[q.granularity] / DAY_MS} days per request with granularity=${q.granularity}; split the range.`);
  }
  const key = (ms: number) => new Date(ms).toISOString().slice(0, q.granularity === 'hour' ? 13 : 10);
  return { start, end, fromKey: key(start), toKey: key(end) };
}

/** Usage reads: a tenant's own, or (staff) every tenant's, by hour or day, paginated. */
export function usageService(deps: { store: UsageStore; cursors: CursorCodec }) {
  const { store, cursors } = deps;

  async function tenantPage(tenantId: string, q: UsageQuery, scope: string) {
    const { fromKey, toKey } = periods(q);
    const scopeKey = `${scope}:${q.granularity}:${fromKey}:${toKey}:${q.clusterId ?? ''}`;
    let startKey = cursors.decode(scopeKey, q.cursor);
    const items: UsageItem[] = [];
    // A cluster filter may leave a page short: keep reading until it is full or the range ends.
    do {
      const page = await store.page(tenantId, q.granularity, fromKey, toKey, q.clusterId, q.limit - items.length, startKey);
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey && items.length < q.limit);
    return { items, nextCursor: cursors.encode(scopeKey, startKey) ?? null };
  }

  /** Every tenant's items: the index holds one partition per day of hours or month of days. */
  async function acrossPage(q: UsageQuery & { tenantId?: string }) {
    const { start, end, fromKey, toKey } = periods(q);
    const partitions: string[] = [];
    // From midnight of the first day: a range starting at 22:00 still covers the next day.
    for (let t = Math.floor(start / DAY_MS) * DAY_MS; t < end; t += DAY_MS) {
      const day = new Date(t).toISOString().slice(0, 10);
      const p = q.granularity === 'hour' ? day : monthOfDay(day);
      if (partitions.at(-1) !== p) partitions.push(p);
    }
    const scopeKey = `admin:usage:${q.granularity}:${fromKey}:${toKey}:${q.tenantId ?? ''}:${q.clusterId ?? ''}`;
    const at = cursors.decode(scopeKey, q.cursor) as { i?: number; k?: Item | null } | undefined;
    let i = at?.i ?? 0;
    let startKey = at?.k ?? undefined;
    if (!Number.isInteger(i) || i < 0 || i > partitions.length) throw badRequest('invalid_cursor', 'The cursor is malformed or does not belong to this list.');
    const items: UsageItem[] = [];
    while (i < partitions.length && items.length < q.limit) {
      const page = await store.pageAcross(q.granularity, partitions[i], fromKey, toKey, { tenantId: q.tenantId, clusterId: q.clusterId }, q.limit - items.length, startKey);
      items.push(...page.items);
      startKey = page.lastKey;
      if (!startKey) i++;
    }
    const more = i < partitions.length;
    return { items, nextCursor: more ? (cursors.encode(scopeKey, { i, k: startKey ?? null }) ?? null) : null };
  }

  return {
    list: (tenantId: string, q: UsageQuery) => tenantPage(tenantId, q, `T#${tenantId}:usage`),
    listAll: (q: UsageQuery & { tenantId?: string }) => acrossPage(q),
    /** Every item of the range, page after page (the CSV export; the range bounds its size). */
    async *each(list: (q: UsageQuery) => Promise<{ items: UsageItem[]; nextCursor: string | null }>, q: Omit<UsageQuery, 'cursor' | 'limit'>) {
      let cursor: string | undefined;
      do {
        const page = await list({ ...q, limit: 100, cursor });
        yield* page.items;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    },
  };
}
export type UsageService = ReturnType<typeof usageService>;

export const CSV_COLUMNS = [
  'tenant_id', 'cluster_id', 'granularity', 'period_start', 'hours', 'bytes_written', 'records_written', 'storage_bytes_avg', 'storage_byte_hours',
  'partitions_max', 'partition_hours', 'agent_hours', 'metadata_requests', 'tier', 'catalogue_version', 'cost_usd',
] as const;

/** One CSV line (RFC 4180; every field here is an id, a number or a date, none needs quoting). */
export function csvLine(i: UsageItem): string {
  return [
    i.tenantId, i.clusterId, i.granularity, i.periodStart, i.hours, i.bytesWritten, i.recordsWritten, i.storageBytes, i.storageByteHours,
    i.partitionsMax, i.partitionHours, i.agentHours, i.metadataRequests, i.tier, i.catalogueVersion, (i.cost.totalMicroUsd / 1e6).toFixed(6),
  ].join(',');
}
