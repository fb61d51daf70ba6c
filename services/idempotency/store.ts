import type { Db } from '../../shared/dynamo';

export interface IdempotencyRecord {
  pk: string;
  sk: string;
  requestHash: string;
  state: 'pending' | 'done';
  /** While pending: after this time another attempt may take the record over (crash recovery). */
  lockedUntil: number;
  status?: number;
  body?: string;
  ttl: number;
}

/**
 * Idempotency records live in the caller's partition (`T#<tenant>` for customers,
 * `ADMIN#<subject>` for staff) under `IDEM#<route>#<key>`.
 */
export function idempotencyStore(db: Db, table: string) {
  return {
    async claim(rec: IdempotencyRecord, now: number): Promise<boolean> {
      return db.put(table, { ...rec }, {
        expr: 'attribute_not_exists(pk) OR (#state = :pending AND lockedUntil < :now) OR #ttl < :nowS',
        names: { '#state': 'state', '#ttl': 'ttl' },
        values: { ':pending': 'pending', ':now': now, ':nowS': Math.floor(now / 1000) },
      });
    },
    async get(pk: string, sk: string) {
      return db.get<IdempotencyRecord>(table, { pk, sk });
    },
    async complete(pk: string, sk: string, status: number, body: string) {
      await db.update({
        table,
        key: { pk, sk },
        update: 'SET #state = :done, #status = :status, body = :body',
        names: { '#state': 'state', '#status': 'status' },
        values: { ':done': 'done', ':status': status, ':body': body },
      });
    },
    async release(pk: string, sk: string) {
      await db.delete(table, { pk, sk });
    },
  };
}
export type IdempotencyStore = ReturnType<typeof idempotencyStore>;
