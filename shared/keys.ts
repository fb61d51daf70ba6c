/**
 * The key layout of both tables, in one place. Every tenant-owned item's partition key begins
 * with `T#<tenantId>` (an IAM `dynamodb:LeadingKeys` condition can then fence a tenant), and
 * items that belong to one cluster carry its id in their keys so that deleting the cluster
 * finds them all.
 *
 * control table
 *   T#<tenant>            TENANT, CLUSTER#<id>, NAME#…, KEY#…, IDEM#…, C#<cluster>#… (agent keys, agents)
 *   T#<tenant>#AUDIT      the tenant's audit events
 * metadata table
 *   T#<tenant>#C#<cluster> LEASE, META, J#<seq>, SNAP, S#<seq>#<chunk> (see services/metadata/keys.ts)
 */

/** The partition key of a tenant's own control items. */
export const tenantPk = (tenantId: string) => `T#${tenantId}`;

/** Sort-key prefix, in the tenant's control partition, of items that belong to one cluster. */
export const clusterChildPrefix = (clusterId: string) => `C#${clusterId}#`;

/** The partition key of a cluster's metadata home (lease, journal, snapshots). */
export const clusterPk = (tenantId: string, clusterId: string) => `T#${tenantId}#C#${clusterId}`;

/** The partition key of a tenant's audit events. */
export const tenantAuditPk = (tenantId: string) => `T#${tenantId}#AUDIT`;

/** The tenant a tenant-owned partition key belongs to (`T#<tenant>` or `T#<tenant>#…`); undefined for vendor-level keys. */
export function tenantOfPk(pk: string): string | undefined {
  if (!pk.startsWith('T#')) return undefined;
  const end = pk.indexOf('#', 2);
  return end === -1 ? pk.slice(2) : pk.slice(2, end);
}
