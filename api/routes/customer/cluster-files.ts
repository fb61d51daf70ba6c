import { isAppError } from '../../../shared/errors';
import type { AppDeps } from '../../deps';
import type { FileCounts } from '../../../services/metadata/file-lifecycle';

/**
 * A ready cluster's file counts, from its metadata leader. The cluster itself is answered
 * either way: when the leader cannot be reached (another node leads, or it is moving), the
 * counts are left out rather than failing the whole read.
 */
export async function fileCounts(deps: AppDeps, cluster: { tenantId: string; id: string }): Promise<FileCounts | undefined> {
  try {
    return await deps.services.metadata.fileCounts(await deps.services.clusterAccess(cluster.tenantId, cluster.id, true));
  } catch (e) {
    if (isAppError(e) && e.status === 503) return undefined;
    throw e;
  }
}
