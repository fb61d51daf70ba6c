import type { Db } from '../../shared/dynamo';
import { LEASE_SK, clusterPk } from './keys';

/**
 * A cluster's metadata home: its partition of the metadata table. Provisioning allocates it
 * (header and an unheld lease), deletion empties it. Both are idempotent.
 */
export function metadataHomeStore(db: Db, table: string) {
  return {
    async allocate(tenantId: string, clusterId: string, nowIso: string): Promise<string> {
      const pk = clusterPk(tenantId, clusterId);
      await db.forTenant(tenantId).put(table, { pk, sk: 'META', tenantId, clusterId, createdAt: nowIso, formatVersion: 1 }, { expr: 'attribute_not_exists(pk)' });
      await db.forTenant(tenantId).put(table, { pk, sk: LEASE_SK, holder: null, holderAddress: null, epoch: 0, expiresAt: 0 }, { expr: 'attribute_not_exists(pk)' });
      return pk;
    },
    async purge(tenantId: string, clusterId: string): Promise<void> {
      const keys: { pk: string; sk: string }[] = [];
      for await (const it of db.forTenant(tenantId).queryAll<{ pk: string; sk: string }>({ table, keyCondition: 'pk = :pk', values: { ':pk': clusterPk(tenantId, clusterId) } })) {
        keys.push({ pk: it.pk, sk: it.sk });
      }
      await db.forTenant(tenantId).deleteMany(table, keys);
    },
  };
}
export type MetadataHomeStore = ReturnType<typeof metadataHomeStore>;
