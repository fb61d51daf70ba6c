/**
 * The key layout of both tables, in one place. Every tenant-owned item's partition key begins
 * with `T#<tenantId>` (an IAM `dynamodb:LeadingKeys` condition can then fence a tenant), and
 * items that belong to one cluster carry its id in their keys so that deleting the cluster
 * finds them all.
 *
 * control table
 *   T#<tenant>            TENANT, CLUSTER#<id>, NAME#…, KEY#…, IDEM#…, C#<cluster>#… (agent keys, agents)
 *   T#<tenant>#AUDIT      the tenant's audit events
 *   T#<tenant>#USAGE      usage: R#<hour>#<cluster>#<node> (a node's counts, expire after 8 days),
 *                         H#<hour>#<cluster> and D#<day>#<cluster> (rolled up, priced)
 *   USAGE#ROLLUP          the roll-up's watermark (vendor item)
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

/** The partition key of a tenant's usage (raw counts and rolled-up items). */
export const tenantUsagePk = (tenantId: string) => `T#${tenantId}#USAGE`;
