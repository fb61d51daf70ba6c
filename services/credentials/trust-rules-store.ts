import type { Db, Item } from '../../shared/dynamo';
import { clusterChildPrefix, tenantPk } from '../../shared/keys';
import type { AgentAccess } from './agent-keys-store';

/** A cluster's trust in a cloud workload identity: which AWS roles may exchange for tokens. */
export interface TrustRule {
  id: string;
  tenantId: string;
  clusterId: string;
  provider: 'aws';
  accountId: string;
  /** `arn:aws:iam::<accountId>:role/<name, with * and ? wildcards>` */
  roleArnPattern: string;
  access: AgentAccess;
  expiresAt?: string;
  createdAt: string;
  createdBy: string;
}

const prefix = (clusterId: string) => `${clusterChildPrefix(clusterId)}TRUST#`;
const strip = ({ pk: _p, sk: _s, ...rest }: Item) => rest as unknown as TrustRule;

/**
 * Trust rules are cluster children in the tenant's partition (`T#<tenant>` /
 * `C#<cluster>#TRUST#<id>`), so deleting the cluster deletes them, and the token exchange
 * reads a cluster's rules with one consistent query once it knows the tenant.
 */
export function trustRuleStore(db: Db, table: string) {
  const key = (tenantId: string, clusterId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `${prefix(clusterId)}${id}` });
  return {
    async create(r: TrustRule) {
      await db.forTenant(r.tenantId).put(table, { ...key(r.tenantId, r.clusterId, r.id), ...r }, { expr: 'attribute_not_exists(pk)' });
    },
    async get(tenantId: string, clusterId: string, id: string) {
      const item = await db.forTenant(tenantId).get(table, key(tenantId, clusterId, id));
      return item ? strip(item) : undefined;
    },
    async list(tenantId: string, clusterId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': prefix(clusterId) },
        limit,
        startKey,
      });
      return { items: page.items.map(strip), lastKey: page.lastKey };
    },
    /** Every rule of a cluster (there are few: the service caps them). */
    async all(tenantId: string, clusterId: string): Promise<TrustRule[]> {
      const out: TrustRule[] = [];
      for await (const it of db.forTenant(tenantId).queryAll({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': prefix(clusterId) },
      })) {
        out.push(strip(it));
      }
      return out;
    },
    /** True when the rule existed (and is now gone). */
    async remove(tenantId: string, clusterId: string, id: string) {
      return db.forTenant(tenantId).delete(table, key(tenantId, clusterId, id), { expr: 'attribute_exists(pk)' });
    },
  };
}
export type TrustRuleStore = ReturnType<typeof trustRuleStore>;
