import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';
import { LEASE_SK } from './keys';

/**
 * The cluster's lease item. Every change is a single conditional write: taking it compares
 * the epoch and expiry that were read (so a renewal in between defeats the take), renewing
 * and releasing require the holder's own node, incarnation and epoch.
 */
export interface Lease {
  holder: string | null;
  holderAddress: string | null;
  /** Random per process start: tells a restarted node from its previous life. */
  incarnation: string | null;
  epoch: number;
  expiresAt: number;
}

export interface LeaseClaim {
  holder: string;
  holderAddress: string;
  incarnation: string;
  epoch: number;
}

export function leaseStore(db: Db, table: string) {
  /** A cluster's items belong to its tenant: that tenant's view of the store. */
  const at = (pk: string) => db.forTenant(tenantOfPk(pk) ?? '');
  const key = (pk: string) => ({ pk, sk: LEASE_SK });
  const mine = (claim: LeaseClaim) => ({
    condition: 'holder = :h AND incarnation = :i AND epoch = :e',
    values: { ':h': claim.holder, ':i': claim.incarnation, ':e': claim.epoch },
  });

  return {
    async read(pk: string): Promise<Lease | undefined> {
      const item = await at(pk).get<Partial<Lease>>(table, key(pk));
      if (!item) return undefined;
      return {
        holder: item.holder ?? null,
        holderAddress: item.holderAddress ?? null,
        incarnation: item.incarnation ?? null,
        epoch: Number(item.epoch ?? 0),
        expiresAt: Number(item.expiresAt ?? 0),
      };
    },

    /** Writes `claim` if the lease is still as `seen` (or still absent). */
    async take(pk: string, seen: Lease | undefined, claim: LeaseClaim, expiresAt: number): Promise<boolean> {
      const item = { ...key(pk), ...claim, expiresAt };
      if (!seen) return at(pk).put(table, item, { expr: 'attribute_not_exists(sk)' });
      return at(pk).put(table, item, {
        expr: 'epoch = :e AND expiresAt = :x',
        values: { ':e': seen.epoch, ':x': seen.expiresAt },
      });
    },

    async renew(pk: string, claim: LeaseClaim, expiresAt: number): Promise<boolean> {
      const { condition, values } = mine(claim);
      const out = await at(pk).update({ table, key: key(pk), update: 'SET expiresAt = :x', condition, values: { ...values, ':x': expiresAt } });
      return out !== undefined;
    },

    /** Gives the lease up at once, so another node need not wait for it to expire. */
    async release(pk: string, claim: LeaseClaim): Promise<boolean> {
      const { condition, values } = mine(claim);
      const out = await at(pk).update({
        table,
        key: key(pk),
        update: 'SET holder = :null, holderAddress = :null, incarnation = :null, expiresAt = :zero',
        condition,
        values: { ...values, ':null': null, ':zero': 0 },
      });
      return out !== undefined;
    },
  };
}
export type LeaseStore = ReturnType<typeof leaseStore>;
