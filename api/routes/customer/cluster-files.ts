import type { AppDeps } from '../../deps';

/**
 * A ready cluster's files by state and the replicas agents reported missing, as its metadata
 * leader last counted them (after each maintenance pass). Read from the store, so that viewing
 * a cluster never makes this node lead it; absent until the leader first counted.
 */
export async function clusterStatsView(deps: AppDeps, cluster: { tenantId: string; id: string }) {
  const stats = await deps.services.metadata.fileCounts(cluster.tenantId, cluster.id);
  if (!stats) return {};
  const countedAt = new Date(stats.at).toISOString();
  return { files: { ...stats.files, countedAt }, ...(stats.replication ? { replication: { ...stats.replication, countedAt } } : {}) };
}
