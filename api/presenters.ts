import type { Tenant } from '../services/tenants/store';

/** The public shape of a tenant: the cluster id set is internal, its size is not. */
export function tenantView(t: Tenant) {
  const { clusterIds, ...rest } = t;
  return { ...rest, clusterCount: clusterIds.length };
}
