import type { Db, Item } from '../../shared/dynamo';
import type { JWK } from 'jose';

export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA';
  publicJwk: JWK;
  /** The private JWK, AES-256-GCM sealed with a key derived from the server secret. */
  sealedPrivateJwk: string;
  createdAt: number;
}

/**
 * The rotation state, all in one item so that every change to it is one conditional write:
 * the key that signs, the key published to sign next, and the keys that stopped signing
 * recently, each with the time it did (so how long it stays verifiable is a stored fact).
 */
export interface KeyPointer {
  kid: string;
  version: number;
  /** When `kid` started signing. */
  since: number;
  next?: { kid: string; at: number };
  retired: { kid: string; at: number }[];
}

const PK = 'SIGNING_KEYS';
const CURRENT = { pk: PK, sk: 'CURRENT' };
const N = { '#kid': 'kid', '#version': 'version', '#since': 'since', '#nextKid': 'nextKid', '#nextAt': 'nextAt', '#retired': 'retired' };

function toPointer(it: Item): KeyPointer {
  return {
    kid: it.kid as string,
    version: it.version as number,
    since: (it.since as number | undefined) ?? 0,
    next: typeof it.nextKid === 'string' ? { kid: it.nextKid, at: it.nextAt as number } : undefined,
    retired: (it.retired as KeyPointer['retired'] | undefined) ?? [],
  };
}

/** Agent-token signing keys (vendor-level, not tenant-owned) and the rotation pointer. */
export function signingKeyStore(db: Db, table: string) {
  return {
    async all(): Promise<SigningKeyRecord[]> {
      const out: SigningKeyRecord[] = [];
      for await (const it of db.queryAll<Item>({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': PK, ':p': 'KEY#' },
      })) {
        const { sk: _sk, pk: _pk, ...rest } = it;
        out.push(rest as unknown as SigningKeyRecord);
      }
      return out;
    },
    async pointer(): Promise<KeyPointer | undefined> {
      const it = await db.get(table, CURRENT);
      return it ? toPointer(it) : undefined;
    },
    /** A key record; invisible (and never used) until the pointer names it. */
    async put(rec: SigningKeyRecord) {
      await db.put(table, { pk: PK, sk: `KEY#${rec.kid}`, ...rec }, { expr: 'attribute_not_exists(pk)' });
    },
    /** The very first key signs at once (nobody could hold an older view of it); false if another is first. */
    async createFirst(kid: string, now: number): Promise<boolean> {
      return db.put(table, { ...CURRENT, kid, version: 1, since: now, retired: [] }, { expr: 'attribute_not_exists(pk)' });
    },
    /** Publishes `kid` as the next key, if the pointer is still at `expectedVersion` with none pending. */
    async stageNext(kid: string, at: number, expectedVersion: number): Promise<boolean> {
      const out = await db.update({
        table,
        key: CURRENT,
        update: 'SET #nextKid = :kid, #nextAt = :at, #version = #version + :one',
        condition: '#version = :v AND attribute_not_exists(#nextKid)',
        names: { '#nextKid': N['#nextKid'], '#nextAt': N['#nextAt'], '#version': N['#version'] },
        values: { ':kid': kid, ':at': at, ':one': 1, ':v': expectedVersion },
      });
      return out !== undefined;
    },
    /**
     * The next key starts signing and the current one joins `retired` at `now`, in one write,
     * if nobody moved the pointer since `seen`. `retired` is the new list (old entries pruned).
     */
    async promote(seen: KeyPointer, now: number, retired: KeyPointer['retired']): Promise<boolean> {
      const out = await db.update({
        table,
        key: CURRENT,
        update: 'SET #kid = :next, #since = :now, #retired = :retired, #version = #version + :one REMOVE #nextKid, #nextAt',
        condition: '#version = :v AND #nextKid = :next',
        names: N,
        values: { ':next': seen.next!.kid, ':now': now, ':retired': retired, ':one': 1, ':v': seen.version },
      });
      return out !== undefined;
    },
    async remove(kid: string) {
      await db.delete(table, { pk: PK, sk: `KEY#${kid}` });
    },
  };
}
export type SigningKeyStore = ReturnType<typeof signingKeyStore>;
