import type { Db, Item } from '../../shared/dynamo';
import { clusterChildPrefix, tenantPk } from '../../shared/keys';
import { credentialLookup } from './credential-lookup';

export type AgentAccess = 'read-write' | 'read-only';

export interface AgentKey {
  id: string;
  tenantId: string;
  clusterId: string;
  name: string;
  access: AgentAccess;
  secretHash: string;
  /** Fingerprint of the pepper `secretHash` was made with (see peppers.ts). */
  pepperId?: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

const sk = (clusterId: string, id: string) => `${clusterChildPrefix(clusterId)}AGENTKEY#${id}`;

/**
 * Agent keys are cluster children in the tenant's partition (deleted with the cluster); a
 * vendor-level lookup item maps the key id to its tenant and cluster for the token
 * exchange, read consistently (no GSI).
 */
export function agentKeyStore(db: Db, table: string) {
  const lookup = credentialLookup(db, table);
  const strip = ({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, lookupPk: _l, ...rest }: Item) => rest as unknown as AgentKey;
  return {
    async create(k: AgentKey) {
      await lookup.create({ pk: tenantPk(k.tenantId), sk: sk(k.clusterId, k.id), ...k }, k.id, { tenantId: k.tenantId, clusterId: k.clusterId });
    },
    async findById(id: string) {
      const found = await lookup.find<{ tenantId: string; clusterId: string }>(id);
      if (!found) return undefined;
      const item = await db.forTenant(found.tenantId).get(table, { pk: tenantPk(found.tenantId), sk: sk(found.clusterId, id) });
      return item ? strip(item) : undefined;
    },
    async list(tenantId: string, clusterId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': `${clusterChildPrefix(clusterId)}AGENTKEY#` },
        limit,
        startKey,
      });
      return { items: page.items.map(strip), lastKey: page.lastKey };
    },
    /** Replaces a hash made with an earlier pepper, unless someone already did. */
    async rehash(tenantId: string, clusterId: string, id: string, previousHash: string, next: { secretHash: string; pepperId: string }) {
      await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(clusterId, id) },
        update: 'SET secretHash = :h, pepperId = :p',
        condition: 'secretHash = :old',
        values: { ':h': next.secretHash, ':p': next.pepperId, ':old': previousHash },
      });
    },
    async revoke(tenantId: string, clusterId: string, id: string, nowIso: string) {
      const item = await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(clusterId, id) },
        update: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        condition: 'attribute_exists(pk)',
        values: { ':now': nowIso },
      });
      return item ? strip(item) : undefined;
    },
  };
}
export type AgentKeyStore = ReturnType<typeof agentKeyStore>;
