import type { AppDeps } from '../../deps';

/**
 * A ready cluster's files by state, as its metadata leader last counted them (after each
 * maintenance pass). Read from the store, so that viewing a cluster never makes this node
 * lead it; absent until the leader first counted.
 */
export async function fileCounts(deps: AppDeps, cluster: { tenantId: string; id: string }) {
  const stats = await deps.services.metadata.fileCounts(cluster.tenantId, cluster.id);
  return stats ? { ...stats.files, countedAt: new Date(stats.at).toISOString() } : undefined;
}
