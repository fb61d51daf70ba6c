import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { LEASE_SK } from './keys';

/**
 * The cluster's lease item. Every change is a single conditional write: taking it compares
 * the epoch and expiry that were read (so a renewal in between defeats the take), renewing
 * and releasing require the holder's own node, incarnation and epoch. Retiring it (the cluster
 * is being deleted) turns it into a tombstone that no take or renewal gets past, ever.
 */
export interface Lease {
  holder: string | null;
  holderAddress: string | null;
  /** The holder's region (multi-region clusters prefer some regions to others). */
  holderRegion: string | null;
  /** Random per process start: tells a restarted node from its previous life. */
  incarnation: string | null;
  epoch: number;
  expiresAt: number;
  retired?: Retirement;
}

/** The tombstone's fields: set once when the cluster's deletion fences it. */
export interface Retirement {
  /** When the tombstone was written (the deleting node's clock). */
  at: number;
  /** The closing fence's epoch: above every epoch a leader ever held. */
  epoch: number;
  /** The lease's expiry when it was retired: the last moment any leader could still serve. */
  finalExpiresAt: number;
  /** The journal slot of the closing fence, once it is written. */
  fencedSeq?: number;
  /** When the cluster's other items were purged. */
  purgedAt?: number;
}

export interface LeaseClaim {
  holder: string;
  holderAddress: string;
  holderRegion: string;
  incarnation: string;
  epoch: number;
}

const NOT_RETIRED = 'attribute_not_exists(retiredAt)';

export function leaseStore(db: Db, table: string) {
  /** A cluster's items belong to its tenant: that tenant's view of the store. */
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  const key = (pk: string) => ({ pk, sk: LEASE_SK });
  const mine = (claim: LeaseClaim) => ({
    condition: `holder = :h AND incarnation = :i AND epoch = :e AND ${NOT_RETIRED}`,
    values: { ':h': claim.holder, ':i': claim.incarnation, ':e': claim.epoch },
  });

  return {
    async read(pk: string): Promise<Lease | undefined> {
      const item = await at(pk).get<Record<string, unknown>>(table, key(pk));
      if (!item) return undefined;
      const lease: Lease = {
        holder: (item.holder as string | null) ?? null,
        holderAddress: (item.holderAddress as string | null) ?? null,
        holderRegion: (item.holderRegion as string | null) ?? null,
        incarnation: (item.incarnation as string | null) ?? null,
        epoch: Number(item.epoch ?? 0),
        expiresAt: Number(item.expiresAt ?? 0),
      };
      if (item.retiredAt !== undefined) {
        lease.retired = {
          at: Number(item.retiredAt),
          epoch: Number(item.retireEpoch),
          finalExpiresAt: Number(item.finalExpiresAt),
          fencedSeq: item.fencedSeq === undefined ? undefined : Number(item.fencedSeq),
          purgedAt: item.purgedAt === undefined ? undefined : Number(item.purgedAt),
        };
      }
      return lease;
    },

    /** Writes `claim` if the lease is still as `seen` (or still absent), and not retired. */
    async take(pk: string, seen: Lease | undefined, claim: LeaseClaim, expiresAt: number): Promise<boolean> {
      const item = { ...key(pk), ...claim, expiresAt };
      if (!seen) return at(pk).put(table, item, { expr: 'attribute_not_exists(sk)' });
      return at(pk).put(table, item, {
        expr: `epoch = :e AND expiresAt = :x AND ${NOT_RETIRED}`,
        values: { ':e': seen.epoch, ':x': seen.expiresAt },
      });
    },

    async renew(pk: string, claim: LeaseClaim, expiresAt: number): Promise<boolean> {
      const { condition, values } = mine(claim);
      const out = await at(pk).update({ table, key: key(pk), update: 'SET expiresAt = :x', condition, values: { ...values, ':x': expiresAt } });
      return out !== undefined;
    },

    /**
     * Hands the lease to a named successor (a planned move: drain, step-down, return to the
     * preferred region): the lease names the successor as holder, with no incarnation, so that
     * only the successor takes it at once (as a node retakes its own lease) and every other node
     * sends clients there. The epoch stays; the successor's take raises it, and its fence entry
     * stops anything this leader could still append. False when this leader no longer held it.
     */
    async handOver(pk: string, claim: LeaseClaim, successor: { nodeId: string; address: string; region: string }, expiresAt: number): Promise<boolean> {
      const { condition, values } = mine(claim);
      const out = await at(pk).update({
        table,
        key: key(pk),
        update: 'SET holder = :sh, holderAddress = :sa, holderRegion = :sr, incarnation = :si, expiresAt = :x, handedOverBy = :h',
        condition,
        values: { ...values, ':sh': successor.nodeId, ':sa': successor.address, ':sr': successor.region, ':si': `handover:${claim.incarnation}`, ':x': expiresAt },
      });
      return out !== undefined;
    },

    /** Gives the lease up at once, so another node need not wait for it to expire. */
    async release(pk: string, claim: LeaseClaim): Promise<boolean> {
      const { condition, values } = mine(claim);
      const out = await at(pk).update({
        table,
        key: key(pk),
        update: 'SET holder = :null, holderAddress = :null, holderRegion = :null, incarnation = :null, expiresAt = :zero',
        condition,
        values: { ...values, ':null': null, ':zero': 0 },
      });
      return out !== undefined;
    },

    /**
     * Writes the tombstone if the lease is still as `seen` (so the expiry it records is final:
     * no renewal can land after it). False when the lease moved meanwhile: read and try again.
     */
    async retire(pk: string, seen: Lease | undefined, atMs: number): Promise<boolean> {
      const epoch = (seen?.epoch ?? 0) + 1;
      const out = await at(pk).update({
        table,
        key: key(pk),
        update: 'SET retiredAt = :at, retireEpoch = :re, finalExpiresAt = :x, epoch = if_not_exists(epoch, :zero), expiresAt = if_not_exists(expiresAt, :zero)',
        condition: seen ? `epoch = :e AND expiresAt = :x AND ${NOT_RETIRED}` : 'attribute_not_exists(sk)',
        values: { ':at': atMs, ':re': epoch, ':x': seen?.expiresAt ?? 0, ':zero': 0, ...(seen ? { ':e': seen.epoch } : {}) },
      });
      return out !== undefined;
    },

    /** Records the slot of the closing fence on the tombstone. */
    async markFenced(pk: string, seq: number): Promise<void> {
      await at(pk).update({ table, key: key(pk), update: 'SET fencedSeq = :f', condition: 'attribute_exists(retiredAt)', values: { ':f': seq } });
    },

    /** Records the purge; the tombstone itself stays until `ttlEpochSeconds` (DynamoDB TTL). */
    async markPurged(pk: string, atMs: number, ttlEpochSeconds: number): Promise<void> {
      await at(pk).update({
        table,
        key: key(pk),
        update: 'SET purgedAt = :p, #ttl = :ttl',
        condition: 'attribute_exists(retiredAt)',
        names: { '#ttl': 'ttl' },
        values: { ':p': atMs, ':ttl': ttlEpochSeconds },
      });
    },
  };
}
export type LeaseStore = ReturnType<typeof leaseStore>;
