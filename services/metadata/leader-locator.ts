import type { Clock } from '../../shared/clock';
import type { Db } from '../../shared/dynamo';
import { clusterPk } from './keys';
import { leaseStore } from './lease-store';

/**
 * Where a cluster's leader can be reached, read from its lease without taking it: for
 * processes that serve customers but never lead (the Lambda API), so they can hand a topic
 * change to the node that applies it. Null when no live lease names an address.
 */
export function leaderLocator(db: Db, table: string, clock: Clock) {
  const leases = leaseStore(db, table);
  return async (tenantId: string, clusterId: string): Promise<string | null> => {
    const lease = await leases.read(clusterPk(tenantId, clusterId));
    if (!lease?.holder || !lease.holderAddress || lease.expiresAt <= clock.now()) return null;
    return lease.holderAddress;
  };
}
export type LeaderLocator = ReturnType<typeof leaderLocator>;
