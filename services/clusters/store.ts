import type { Db, Item } from '../../shared/dynamo';
import { clusterChildPrefix, tenantPk } from '../../shared/keys';
import type { Cluster, ClusterStatus } from './model';

const sk = (id: string) => `CLUSTER#${id}`;
const nameSk = (name: string) => `CLUSTERNAME#${name}`;
const strip = ({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, ttl: _t, ...rest }: Item) => rest as unknown as Cluster;

/**
 * Cluster items (`T#<tenant>` / `CLUSTER#<id>`), their name reservations
 * (`CLUSTERNAME#<name>`, which make names unique per tenant without a transaction), and the
 * vendor-wide list in `gsi1` (`CLUSTERS`).
 */
export function clusterStore(db: Db, table: string) {
  const key = (tenantId: string, id: string) => ({ pk: tenantPk(tenantId), sk: sk(id) });
  return {
    /** Reserves `name` for `clusterId`; true also when it is already reserved for that id. */
    async reserveName(tenantId: string, name: string, clusterId: string): Promise<boolean> {
      return db.forTenant(tenantId).put(
        table,
        { pk: tenantPk(tenantId), sk: nameSk(name), clusterId },
        { expr: 'attribute_not_exists(pk) OR clusterId = :c', values: { ':c': clusterId } },
      );
    },
    async releaseName(tenantId: string, name: string, clusterId: string) {
      await db.forTenant(tenantId).delete(table, { pk: tenantPk(tenantId), sk: nameSk(name) }, { expr: 'attribute_not_exists(pk) OR clusterId = :c', values: { ':c': clusterId } });
    },
    async create(c: Cluster) {
      return db.forTenant(c.tenantId).put(table, { ...key(c.tenantId, c.id), gsi1pk: 'CLUSTERS', gsi1sk: c.id, ...c }, { expr: 'attribute_not_exists(pk)' });
    },
    async get(tenantId: string, id: string) {
      const item = await db.forTenant(tenantId).get(table, key(tenantId, id));
      return item ? strip(item) : undefined;
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
      return item ? strip(item) : undefined;
    },
    async list(tenantId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': 'CLUSTER#' },
        limit,
        startKey,
      });
      return { items: page.items.map(strip), lastKey: page.lastKey };
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
      return { items: page.items.map(strip), lastKey: page.lastKey };
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
    /** Deletes every control item that belongs to the cluster (agent keys, agent records). */
    async removeChildren(tenantId: string, clusterId: string) {
      const keys: { pk: string; sk: string }[] = [];
      for await (const it of db.forTenant(tenantId).queryAll<{ pk: string; sk: string }>({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': clusterChildPrefix(clusterId) },
      })) {
        keys.push({ pk: it.pk, sk: it.sk });
      }
      await db.forTenant(tenantId).deleteMany(table, keys);
    },
  };
}
export type ClusterStore = ReturnType<typeof clusterStore>;
