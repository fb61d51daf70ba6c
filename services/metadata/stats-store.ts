import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import type { FileCounts } from './file-lifecycle';
import { STATS_SK } from './keys';
import type { ReplicationSummary } from './replication';

/**
 * The cluster's file counts (and missing replicas) as its leader last counted them (after each maintenance pass):
 * one small item, so that reading them (the customer's cluster view) never needs the leader,
 * and never makes the reading node take the lease.
 */
export interface ClusterStats {
  files: FileCounts;
  /** Replicas agents reported missing (absent in counts written before they were kept). */
  replication?: ReplicationSummary;
  /** When the leader counted them (epoch ms). */
  at: number;
}

export function statsStore(db: Db, table: string) {
  // A cluster's item: through its tenant's view, like the rest of its metadata home.
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  return {
    async write(pk: string, stats: ClusterStats): Promise<void> {
      await at(pk).put(table, { pk, sk: STATS_SK, ...stats });
    },

    async read(pk: string): Promise<ClusterStats | undefined> {
      const item = await at(pk).get<ClusterStats>(table, { pk, sk: STATS_SK }, false);
      return item ? { files: item.files, replication: item.replication, at: Number(item.at) } : undefined;
    },
  };
}
export type StatsStore = ReturnType<typeof statsStore>;
