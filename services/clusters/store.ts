import { systemClock, type Clock } from '../../shared/clock';
import type { Db, Item } from '../../shared/dynamo';
import { clusterChildPrefix, lookupKeysOf, tenantPk } from '../../shared/keys';
import type { Cluster, ClusterStatus } from './model';

const sk = (id: string) => `CLUSTER#${id}`;
const nameSk = (name: string) => `CLUSTERNAME#${name}`;
/** The sparse `gsi1` partition of name reservations whose create has not finished (or never will). */
const PENDING_NAMES = 'CLUSTERNAMES_PENDING';
// Clusters created before journal stripes existed have one (services/clusters/journal-stripes.ts).
const strip = ({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, ttl: _t, ...rest }: Item) => ({ ...rest, journalStripes: rest.journalStripes ?? 1 }) as unknown as Cluster;
/** A deleted cluster's record is gone once its TTL passed, whether or not the store removed it yet. */
const expired = (item: Item, now: number) => typeof item.ttl === 'number' && item.ttl * 1000 <= now;

/**
 * Cluster items (`T#<tenant>` / `CLUSTER#<id>`), their name reservations
 * (`CLUSTERNAME#<name>`, which make names unique per tenant without a transaction), and the
 * vendor-wide list in `gsi1` (`CLUSTERS`).
 */
export function clusterStore(db: Db, table: string, clock: Clock = systemClock) {
  const live = (items: Item[]) => items.filter((i) => !expired(i, clock.now())).map(strip);
  const key = (tenantId: string, id: string) => ({ pk: tenantPk(tenantId), sk: sk(id) });
  return {
    /**
     * Reserves `name` for `clusterId`, marked pending (listed in `gsi1` under PENDING_NAMES by
     * time) until `confirmName`; true also when it is already reserved for that id.
     */
    async reserveName(tenantId: string, name: string, clusterId: string, reservedAt: string): Promise<boolean> {
      return db.forTenant(tenantId).put(
        table,
        { pk: tenantPk(tenantId), sk: nameSk(name), clusterId, reservedAt, gsi1pk: PENDING_NAMES, gsi1sk: `${reservedAt}#${clusterId}` },
        { expr: 'attribute_not_exists(pk) OR clusterId = :c', values: { ':c': clusterId } },
      );
    },
    /** The cluster item exists: the reservation leaves the pending list. */
    async confirmName(tenantId: string, name: string, clusterId: string) {
      await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: nameSk(name) },
        update: 'REMOVE gsi1pk, gsi1sk',
        condition: 'clusterId = :c',
        values: { ':c': clusterId },
      });
    },
    /** Reservations still pending that were made before `before` (ISO time), oldest first. */
    async *pendingNames(before: string): AsyncGenerator<{ tenantId: string; name: string; clusterId: string; reservedAt: string }> {
      for await (const it of db.queryAll<Item>({ table, index: 'gsi1', keyCondition: 'gsi1pk = :p AND gsi1sk < :b', values: { ':p': PENDING_NAMES, ':b': before } })) {
        yield { tenantId: String(it.pk).slice(2), name: String(it.sk).slice(nameSk('').length), clusterId: String(it.clusterId), reservedAt: String(it.reservedAt) };
      }
    },
    async releaseName(tenantId: string, name: string, clusterId: string) {
      await db.forTenant(tenantId).delete(table, { pk: tenantPk(tenantId), sk: nameSk(name) }, { expr: 'attribute_not_exists(pk) OR clusterId = :c', values: { ':c': clusterId } });
    },
    async create(c: Cluster) {
      return db.forTenant(c.tenantId).put(table, { ...key(c.tenantId, c.id), gsi1pk: 'CLUSTERS', gsi1sk: c.id, ...c }, { expr: 'attribute_not_exists(pk)' });
    },
    async get(tenantId: string, id: string) {
      const item = await db.forTenant(tenantId).get(table, key(tenantId, id));
      return item && !expired(item, clock.now()) ? strip(item) : undefined;
    },
    /**
     * A cluster by id alone, for callers that do not know the tenant yet (the workload-identity
     * exchange): `gsi1` locates it, the item is then re-read consistently.
     */
    async locate(id: string) {
      const page = await db.query<{ tenantId: string }>({ table, index: 'gsi1', keyCondition: 'gsi1pk = :p AND gsi1sk = :id', values: { ':p': 'CLUSTERS', ':id': id }, limit: 1 });
      const hit = page.items[0];
      if (!hit) return undefined;
      const item = await db.forTenant(hit.tenantId).get(table, key(hit.tenantId, id));
      return item && !expired(item, clock.now()) ? strip(item) : undefined;
    },
    async list(tenantId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': 'CLUSTER#' },
        limit,
        startKey,
      });
      return { items: live(page.items), lastKey: page.lastKey };
    },
    async listAll(limit: number, startKey?: Item, status?: ClusterStatus) {
      const page = await db.query({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p',
        filter: status ? '#status = :s' : undefined,
        names: status ? { '#status': 'status' } : undefined,
        values: { ':p': 'CLUSTERS', ...(status ? { ':s': status } : {}) },
        limit,
        startKey,
      });
      return { items: live(page.items), lastKey: page.lastKey };
    },
    async *allWithStatus(statuses: ClusterStatus[]) {
      const values: Item = { ':p': 'CLUSTERS' };
      statuses.forEach((s, i) => (values[`:s${i}`] = s));
      yield* db.queryAll<Item>({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p',
        filter: `#status IN (${statuses.map((_, i) => `:s${i}`).join(', ')})`,
        names: { '#status': 'status' },
        values,
      });
    },
    /** Sets fields if the cluster is still at `expectedVersion` (and, optionally, in `fromStatus`). */
    async update(tenantId: string, id: string, expected: { version?: number; status?: ClusterStatus[] }, fields: Partial<Cluster> & { ttl?: number }, now: string) {
      const sets: string[] = ['#version = #version + :one', 'updatedAt = :now'];
      const names: Record<string, string> = { '#version': 'version' };
      const values: Item = { ':one': 1, ':now': now };
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        names[`#f_${k}`] = k;
        values[`:f_${k}`] = v;
        sets.push(`#f_${k} = :f_${k}`);
      }
      const conditions = ['attribute_exists(pk)'];
      if (expected.version !== undefined) {
        conditions.push('#version = :expected');
        values[':expected'] = expected.version;
      }
      if (expected.status) {
        names['#status'] = 'status';
        expected.status.forEach((s, i) => (values[`:from${i}`] = s));
        conditions.push(`#status IN (${expected.status.map((_, i) => `:from${i}`).join(', ')})`);
      }
      const item = await db.forTenant(tenantId).update({
        table,
        key: key(tenantId, id),
        update: `SET ${sets.join(', ')}`,
        condition: conditions.join(' AND '),
        names,
        values,
      });
      return item ? strip(item) : undefined;
    },
    /**
     * Deletes every control item that belongs to the cluster (agent keys, agent records), and
     * first the lookup items they name (agent keys'), so a retry after a crash still finds them.
     */
    async removeChildren(tenantId: string, clusterId: string) {
      const items: { pk: string; sk: string; lookupPk?: string }[] = [];
      for await (const it of db.forTenant(tenantId).queryAll<{ pk: string; sk: string; lookupPk?: string }>({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': clusterChildPrefix(clusterId) },
      })) {
        items.push(it);
      }
      // Lookups are vendor-level items (CRED#…), outside the tenant's keys: the base view.
      await db.deleteMany(table, lookupKeysOf(items));
      await db.forTenant(tenantId).deleteMany(table, items.map(({ pk, sk }) => ({ pk, sk })));
    },
  };
}
export type ClusterStore = ReturnType<typeof clusterStore>;
