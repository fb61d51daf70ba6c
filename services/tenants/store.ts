import type { Db, Item } from '../../shared/dynamo';
import { lookupKeysOf, tenantPk } from '../../shared/keys';
import type { LimitOverrides } from '../tiers/limits';
import type { TierName } from '../tiers/catalogue';

export type TenantStatus = 'active' | 'suspended' | 'deleting';

export interface Tenant {
  id: string;
  name: string;
  tier: TierName;
  status: TenantStatus;
  limitOverrides: LimitOverrides;
  /** Ids of clusters that count against `clustersPerTenant` (a set: add/remove are idempotent). */
  clusterIds: string[];
  /** Set by an admin: the journal stripe count of the tenant's new clusters (else the tier's default). */
  journalStripes?: number;
  tierCatalogueVersion: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

const TENANT_SK = 'TENANT';

function fromItem(item: Item): Tenant {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, clusterIds, ...rest } = item;
  return { ...(rest as Omit<Tenant, 'clusterIds'>), clusterIds: clusterIds ? [...(clusterIds as Set<string>)].sort() : [] };
}

/** The tenant item (`T#<tenant>` / `TENANT`), listed for admins through `gsi1` (`TENANTS`). */
export function tenantStore(db: Db, table: string) {
  const key = (id: string) => ({ pk: tenantPk(id), sk: TENANT_SK });
  return {
    async create(t: Tenant): Promise<boolean> {
      const { clusterIds: _ids, ...rest } = t;
      return db.forTenant(t.id).put(table, { ...key(t.id), gsi1pk: 'TENANTS', gsi1sk: t.id, ...rest }, { expr: 'attribute_not_exists(pk)' });
    },
    async get(id: string): Promise<Tenant | undefined> {
      const item = await db.forTenant(id).get(table, key(id));
      return item ? fromItem(item) : undefined;
    },
    async list(limit: number, startKey?: Item) {
      const page = await db.query({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p',
        values: { ':p': 'TENANTS' },
        limit,
        startKey,
      });
      return { items: page.items.map(fromItem), lastKey: page.lastKey };
    },
    /** Tenants being deleted (their purge pending, running, or failed half way), for the reconciler. */
    async *allDeleting() {
      for await (const item of db.queryAll<Item>({
        table,
        index: 'gsi1',
        keyCondition: 'gsi1pk = :p',
        filter: '#status = :deleting',
        names: { '#status': 'status' },
        values: { ':p': 'TENANTS', ':deleting': 'deleting' },
      })) {
        yield fromItem(item);
      }
    },
    /** Optimistic update: applies only if nobody changed the tenant since `expectedVersion`. */
    async update(id: string, expectedVersion: number, fields: Partial<Pick<Tenant, 'name' | 'tier' | 'status' | 'limitOverrides' | 'journalStripes' | 'tierCatalogueVersion'>>, now: string) {
      const sets: string[] = ['#version = #version + :one', 'updatedAt = :now'];
      const names: Record<string, string> = { '#version': 'version' };
      const values: Item = { ':one': 1, ':now': now, ':expected': expectedVersion };
      for (const [k, v] of Object.entries(fields)) {
        if (v === undefined) continue;
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        sets.push(`#${k} = :${k}`);
      }
      const item = await db.forTenant(id).update({
        table,
        key: key(id),
        update: `SET ${sets.join(', ')}`,
        condition: 'attribute_exists(pk) AND #version = :expected',
        names,
        values,
      });
      return item ? fromItem(item) : undefined;
    },
    /**
     * Counts a new cluster against the plan, atomically with the checks that make it legal:
     * the tenant is active, its tier is still the one the caller validated against, and the
     * set is below the limit. Bumps the version so a concurrent tier change must re-check.
     */
    async addCluster(id: string, clusterId: string, seenTier: TierName, limit: number, now: string) {
      const item = await db.forTenant(id).update({
        table,
        key: key(id),
        update: 'ADD clusterIds :c SET #version = #version + :one, updatedAt = :now',
        condition:
          '#status = :active AND tier = :tier AND (attribute_not_exists(clusterIds) OR size(clusterIds) < :limit OR contains(clusterIds, :cid))',
        names: { '#status': 'status', '#version': 'version' },
        values: { ':c': new Set([clusterId]), ':one': 1, ':now': now, ':active': 'active', ':tier': seenTier, ':limit': limit, ':cid': clusterId },
      });
      return item ? fromItem(item) : undefined;
    },
    async removeCluster(id: string, clusterId: string, now: string) {
      await db.forTenant(id).update({
        table,
        key: key(id),
        update: 'DELETE clusterIds :c SET updatedAt = :now',
        condition: 'attribute_exists(pk)',
        values: { ':c': new Set([clusterId]), ':now': now },
      });
    },
    async remove(id: string) {
      await db.forTenant(id).delete(table, key(id));
    },
    async removeMany(keys: { pk: string; sk: string }[]) {
      await db.deleteMany(table, keys);
    },
    /**
     * Every item of the tenant's own partition (keys, name reservations, idempotency records),
     * and the vendor-level lookup items they name (API keys'), to be deleted first.
     */
    async partitionKeys(id: string) {
      const items: { pk: string; sk: string; lookupPk?: string }[] = [];
      for await (const it of db.forTenant(id).queryAll<{ pk: string; sk: string; lookupPk?: string }>({
        table,
        keyCondition: 'pk = :pk',
        values: { ':pk': tenantPk(id) },
      })) {
        items.push(it);
      }
      return { keys: items.map(({ pk, sk }) => ({ pk, sk })), lookups: lookupKeysOf(items) };
    },
  };
}
export type TenantStore = ReturnType<typeof tenantStore>;
