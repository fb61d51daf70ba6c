/**
 * The key layout of both tables, in one place. Every tenant-owned item's partition key begins
 * with `T#<tenantId>` (an IAM `dynamodb:LeadingKeys` condition can then fence a tenant), and
 * items that belong to one cluster carry its id in their keys so that deleting the cluster
 * finds them all.
 *
 * control table
 *   T#<tenant>            TENANT, CLUSTER#<id>, CLUSTERNAME#…, APIKEY#…, IDEM#…, C#<cluster>#… (agent keys, agents)
 *   T#<tenant>#AUDIT      the tenant's audit events
 *   REGIONS               NODE#<nodeId> (node registry), REGION#<name> (drain switches)
 *   CRED#<credentialId>   LOOKUP: credential id → tenant (and cluster), see credentialLookupKey
 *   T#<tenant>#USAGE      usage: R#<hour>#<cluster>#<node> (a node's counts, expire after 8 days),
 *                         H#<hour>#<cluster> and D#<day>#<cluster> (rolled up, priced)
 *   USAGE#ROLLUP          the roll-up's watermark (vendor item)
 * metadata table
 *   T#<tenant>#C#<cluster> LEASE, J#<seq>, SNAP, S#<seq>#<chunk> (see services/metadata/keys.ts)
 */

/** The partition key of a tenant's own control items. */
export const tenantPk = (tenantId: string) => `T#${tenantId}`;

/** Sort-key prefix, in the tenant's control partition, of items that belong to one cluster. */
export const clusterChildPrefix = (clusterId: string) => `C#${clusterId}#`;

/** The partition key of a cluster's metadata home (lease, journal, snapshots). */
export const clusterPk = (tenantId: string, clusterId: string) => `T#${tenantId}#C#${clusterId}`;

/** The partition key of a tenant's audit events. */
export const tenantAuditPk = (tenantId: string) => `T#${tenantId}#AUDIT`;

/** The partition of the node registry and the region switches (vendor-level, not a tenant's). */
export const REGIONS_PK = 'REGIONS';
/**
 * A presented secret names its credential id (`key_…`, `akn_…`) but not its tenant. This
 * vendor-level item maps the id to the tenant (and cluster), read with a strongly consistent
 * GetItem: never through a GSI, which lags on AWS, so a key works the moment it is returned.
 * It holds ids only; the credential itself (hash, scopes, revocation) stays in the tenant's
 * partition. The credential's item names its lookup in `lookupPk`, and code that deletes a
 * tenant's or a cluster's items deletes the lookups they name first (see `lookupKeysOf`).
 */
export const LOOKUP_SK = 'LOOKUP';
export const credentialLookupKey = (credentialId: string) => ({ pk: `CRED#${credentialId}`, sk: LOOKUP_SK });

/** The lookup items named by `items` (those with a `lookupPk`), to delete with them. */
export const lookupKeysOf = (items: { lookupPk?: unknown }[]) =>
  items.filter((i) => typeof i.lookupPk === 'string').map((i) => ({ pk: i.lookupPk as string, sk: LOOKUP_SK }));

/** The tenant a tenant-owned partition key belongs to (`T#<tenant>` or `T#<tenant>#…`); undefined for vendor-level keys. */
export function tenantOfPk(pk: string): string | undefined {
  if (!pk.startsWith('T#')) return undefined;
  const end = pk.indexOf('#', 2);
  return end === -1 ? pk.slice(2) : pk.slice(2, end);
}
/** The partition key of a tenant's usage (raw counts and rolled-up items). */
export const tenantUsagePk = (tenantId: string) => `T#${tenantId}#USAGE`;
