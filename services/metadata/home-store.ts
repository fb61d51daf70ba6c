import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { LEASE_SK, clusterPk } from './keys';

/**
 * A cluster's metadata home: its partition of the metadata table. Provisioning allocates it
 * with one conditional write (the unheld lease item, which also carries the home's header), so
 * a home whose lease was retired by a deletion can never be allocated again; the purge removes
 * every item but that lease tombstone.
 */
export function metadataHomeStore(db: Db, table: string) {
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  return {
    /** True when allocated now or before; false when the home was retired (the cluster is being deleted). */
    async allocate(tenantId: string, clusterId: string, nowIso: string): Promise<boolean> {
      const pk = clusterPk(tenantId, clusterId);
      const header = { tenantId, clusterId, createdAt: nowIso, formatVersion: 1 };
      if (await at(pk).put(table, { pk, sk: LEASE_SK, holder: null, holderAddress: null, epoch: 0, expiresAt: 0, ...header }, { expr: 'attribute_not_exists(pk)' })) {
        return true;
      }
      const lease = await at(pk).get(table, { pk, sk: LEASE_SK });
      return lease?.retiredAt === undefined;
    },

    /** Deletes every item of the home except the lease tombstone. */
    async purgeAllButLease(pk: string): Promise<number> {
      const keys: { pk: string; sk: string }[] = [];
      for await (const it of at(pk).queryAll<{ pk: string; sk: string }>({ table, keyCondition: 'pk = :pk', values: { ':pk': pk } })) {
        if (it.sk !== LEASE_SK) keys.push({ pk: it.pk, sk: it.sk });
      }
      await at(pk).deleteMany(table, keys);
      return keys.length;
    },
  };
}
export type MetadataHomeStore = ReturnType<typeof metadataHomeStore>;
