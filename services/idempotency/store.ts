import type { Db } from '../../shared/dynamo';
import { tenantOfPk } from '../../shared/keys';

/** What a replay needs besides the body: the audit target and the `location` header. */
export interface ReplayMeta {
  auditTarget?: { id?: string; tenantId?: string };
  location?: string;
}

export interface IdempotencyRecord {
  pk: string;
  sk: string;
  requestHash: string;
  state: 'pending' | 'done';
  /** While pending: after this time another attempt may take the record over (crash recovery). */
  lockedUntil: number;
  status?: number;
  /** The first answer, sealed (AES-256-GCM, bound to pk and sk): it may hold a shown-once secret. */
  sealedBody?: string;
  meta?: ReplayMeta;
  ttl: number;
}

/**
 * Idempotency records live in the caller's partition (`T#<tenant>` for customers,
 * `ADMIN#<subject>` for staff) under `IDEM#<credential>#<route>#<key>`: one credential's
 * key never meets another's, even within a tenant.
 */
export function idempotencyStore(db: Db, table: string) {
  // A customer's records live in its tenant partition: that tenant's view of the store.
  const scoped = (pk: string) => {
    const tenantId = tenantOfPk(pk);
    return tenantId ? db.forTenant(tenantId) : db;
  };
  return {
    async claim(rec: IdempotencyRecord, now: number): Promise<boolean> {
      return scoped(rec.pk).put(table, { ...rec }, {
        expr: 'attribute_not_exists(pk) OR (#state = :pending AND lockedUntil < :now) OR #ttl < :nowS',
        names: { '#state': 'state', '#ttl': 'ttl' },
        values: { ':pending': 'pending', ':now': now, ':nowS': Math.floor(now / 1000) },
      });
    },
    async get(pk: string, sk: string) {
      return scoped(pk).get<IdempotencyRecord>(table, { pk, sk });
    },
    async complete(pk: string, sk: string, status: number, sealedBody: string, meta: ReplayMeta) {
      await scoped(pk).update({
        table,
        key: { pk, sk },
        update: 'SET #state = :done, #status = :status, sealedBody = :body, meta = :meta',
        names: { '#state': 'state', '#status': 'status' },
        values: { ':done': 'done', ':status': status, ':body': sealedBody, ':meta': meta },
      });
    },
    async release(pk: string, sk: string) {
      await scoped(pk).delete(table, { pk, sk });
    },
  };
}
export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
