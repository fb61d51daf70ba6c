import { isoTime, type Clock } from '../../shared/clock';
import type { Db } from '../../shared/dynamo';
import { unavailable } from '../../shared/errors';
import type { ClusterHome } from '../clusters/lifecycle';
import { metadataHomeStore } from './home-store';
import { journalStore } from './journal-store';
import { journalLayout, type JournalLayout } from './journal-stripes';
import { clusterPk } from './keys';
import { maxClockSkewMs } from './leadership';
import { leaseStore, type Lease, type Retirement } from './lease-store';
import { buildEntry, encodeOps } from './ops';
import { snapshotStore } from './snapshot-store';

/** How long the lease tombstone outlives the purge: far beyond any lease (cluster ids are never reused). */
const TOMBSTONE_TTL_S = 30 * 24 * 3600;

/**
 * A cluster's metadata home over its life: allocated at provisioning; retired, then purged, at
 * deletion. Deletion must stop every node from serving the cluster, in whatever process it
 * runs, before the items go; the lifecycle worker runs on one process only. The argument:
 *
 * 1. Unload here: this node's sequencer answers what it queued and releases its lease.
 * 2. Tombstone: one conditional write turns the LEASE item into a tombstone, only if the lease
 *    is still as read, so the expiry it records (`finalExpiresAt`) is final. Every take and
 *    renewal requires that there be no tombstone: from then on no node can lead the cluster (a
 *    node whose cluster cache still says `ready` cannot take a fresh lease and serve an empty
 *    state), and the current leader's next renewal fails.
 * 3. Closing fence: an entry appended at the next free journal slot with an epoch above every
 *    epoch a leader ever held (takes raise the epoch they read; none follows the tombstone).
 *    Every slot before it is full, so the current leader's next append collides with it (or
 *    with an entry before it) and the leader stops at once, not only at its next renewal.
 * 4. Wait: the last leader stops serving, by its own clock, at 80% of its lease, before
 *    `finalExpiresAt`; the purge waits until `finalExpiresAt` plus the clock-skew bound by the
 *    deleting node's clock (leadership.ts). This matters because the fence is an item too:
 *    once the journal is purged, a still-running old leader could append into the emptied
 *    partition. A write its leader sent at the very end of its validity has a fifth of a
 *    lease to land before the purge starts.
 * 5. Purge every item but the tombstone, which stays (with a TTL) so that a stale node can
 *    neither lead the cluster nor allocate its home again.
 *
 * Each step is idempotent, so a destroy job retried after a crash anywhere finishes the work.
 */
export function metadataHome(deps: {
  db: Db;
  table: string;
  clock: Clock;
  leaseMs: number;
  /** Unloads the cluster from this node's sequencers (answers what is queued, releases the lease). */
  unload(tenantId: string, clusterId: string): Promise<void>;
}): ClusterHome {
  const { clock } = deps;
  const leases = leaseStore(deps.db, deps.table);
  const journal = journalStore(deps.db, deps.table);
  const snapshots = snapshotStore(deps.db, deps.table);
  const home = metadataHomeStore(deps.db, deps.table);
  const purgeAfter = (r: Retirement) => r.finalExpiresAt + maxClockSkewMs(deps.leaseMs);

  async function tombstone(pk: string): Promise<Retirement> {
    let lease: Lease | undefined = await leases.read(pk);
    // Each failed attempt means a renewal or take landed in between: rare, and soon over.
    for (let attempt = 0; !lease?.retired; attempt++) {
      if (attempt >= 50) throw unavailable('store_unavailable', `The lease of ${pk} kept changing while it was being retired; retry.`);
      await leases.retire(pk, lease, clock.now());
      lease = await leases.read(pk);
    }
    return lease.retired;
  }

  /**
   * The first free slot, as a new leader would find it: after the last entry, and never at or
   * below the latest snapshot (entries it covers may have been trimmed).
   */
  async function nextFree(j: JournalLayout): Promise<number> {
    const [last, pointer] = await Promise.all([journal.lastSeq(j), snapshots.readPointer(j.pk)]);
    return Math.max(last, pointer?.seq ?? 0) + 1;
  }

  /** Appends the closing fence at the next free slot; returns its slot. */
  async function closingFence(j: JournalLayout, retired: Retirement): Promise<number> {
    const last = await journal.lastSeq(j);
    // An earlier attempt's fence (its reply lost, or the process died before recording it).
    if (last > 0 && (await journal.get(j, last))?.epoch === retired.epoch) return last;
    const data = buildEntry([encodeOps([{ type: 'fence', epoch: retired.epoch, holder: 'cluster-deletion', at: retired.at }])]);
    for (let attempt = 0, seq = await nextFree(j); attempt < 1000; attempt++) {
      if (await journal.append(j, { seq, data, epoch: retired.epoch, writer: `retire:${retired.at}`, leader: '' })) return seq;
      if ((await journal.get(j, seq))?.epoch === retired.epoch) return seq;
      // The leader, still inside its lease, appended there first: try the new tail.
      seq = await nextFree(j);
    }
    throw unavailable('store_unavailable', `The journal of ${j.pk} kept growing while it was being fenced; retry.`);
  }

  return {
    async allocate(tenantId, clusterId) {
      return home.allocate(tenantId, clusterId, isoTime(clock.now()));
    },

    async retire(tenantId, clusterId, journalStripes) {
      const pk = clusterPk(tenantId, clusterId);
      await deps.unload(tenantId, clusterId);
      const retired = await tombstone(pk);
      if (retired.fencedSeq === undefined && retired.purgedAt === undefined) {
        await leases.markFenced(pk, await closingFence(journalLayout(pk, journalStripes), retired));
      }
      return { purgeAfter: purgeAfter(retired) };
    },

    async purge(tenantId, clusterId, journalStripes) {
      const pk = clusterPk(tenantId, clusterId);
      const lease = await leases.read(pk);
      const retired = lease?.retired;
      if (!retired || (retired.fencedSeq === undefined && retired.purgedAt === undefined)) throw new Error(`the metadata home ${pk} must be retired before it is purged`);
      const now = clock.now();
      if (now < purgeAfter(retired)) throw new Error(`the metadata home ${pk} may be purged only after ${isoTime(purgeAfter(retired))}`);
      // A striped journal's entries sit under keys of their own; a 1-stripe journal's go with the home's items.
      const layout = journalLayout(pk, journalStripes);
      if (layout.stripes > 1) await journal.purge(layout);
      await home.purgeAllButLease(pk);
      if (retired.purgedAt === undefined) await leases.markPurged(pk, now, Math.floor(now / 1000) + TOMBSTONE_TTL_S);
    },
  };
}
