import type { Db } from '../../shared/dynamo';

export type RevokedEntity = 'agent-key' | 'tenant' | 'cluster';

export interface Revocation {
  entity: RevokedEntity;
  id: string;
  /** Tokens of this entity issued before this time (ms) are refused. */
  notBefore: number;
}

const PK = 'REVOCATIONS';

/**
 * A short, time-ordered log of credential revocations (vendor-level). Every API process
 * polls it, so a revocation reaches all of them within one poll interval. Entries matter
 * only for the longest token lifetime; `ttl` lets DynamoDB drop them after.
 */
export function revocationStore(db: Db, table: string) {
  return {
    async add(r: Revocation, ttlSeconds: number) {
      const sk = `${new Date(r.notBefore).toISOString()}#${r.entity}#${r.id}`;
      await db.put(table, { pk: PK, sk, ...r, ttl: Math.floor(r.notBefore / 1000) + ttlSeconds });
    },
    /**
     * Entries from `fromMs` on. Callers never ask further back than one token lifetime, and an
     * entry's TTL is its time plus that lifetime: no expired entry is read, whether or not the
     * store has deleted it yet.
     */
    async since(fromMs: number): Promise<Revocation[]> {
      const out: Revocation[] = [];
      for await (const it of db.queryAll<Revocation>({
        table,
        keyCondition: 'pk = :pk AND sk >= :from',
        values: { ':pk': PK, ':from': new Date(fromMs).toISOString() },
      })) {
        out.push({ entity: it.entity, id: it.id, notBefore: it.notBefore });
      }
      return out;
    },
  };
}
export type RevocationStore = ReturnType<typeof revocationStore>;
