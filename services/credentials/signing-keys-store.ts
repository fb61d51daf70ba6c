import type { Db } from '../../shared/dynamo';
import type { JWK } from 'jose';

export interface SigningKeyRecord {
  kid: string;
  alg: 'EdDSA';
  publicJwk: JWK;
  /** The private JWK, AES-256-GCM sealed with a key derived from the server secret. */
  sealedPrivateJwk: string;
  createdAt: number;
  /** When it stopped signing; it stays in the JWKS for the longest token lifetime after. */
  rotatedAt?: number;
}

export interface CurrentPointer {
  kid: string;
  version: number;
}

const PK = 'SIGNING_KEYS';

/** Agent-token signing keys (vendor-level, not tenant-owned) and the pointer to the current one. */
export function signingKeyStore(db: Db, table: string) {
  return {
    async all(): Promise<SigningKeyRecord[]> {
      const out: SigningKeyRecord[] = [];
      for await (const it of db.queryAll<SigningKeyRecord & { sk: string }>({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': PK, ':p': 'KEY#' },
      })) {
        const { sk: _sk, pk: _pk, ...rest } = it as SigningKeyRecord & { sk: string; pk: string };
        out.push(rest);
      }
      return out;
    },
    async current(): Promise<CurrentPointer | undefined> {
      const it = await db.get<CurrentPointer>(table, { pk: PK, sk: 'CURRENT' });
      return it ? { kid: it.kid, version: it.version } : undefined;
    },
    async put(rec: SigningKeyRecord) {
      await db.put(table, { pk: PK, sk: `KEY#${rec.kid}`, ...rec }, { expr: 'attribute_not_exists(pk)' });
    },
    /** Moves the pointer if nobody else moved it since `expectedVersion` (0: create it). */
    async swapCurrent(kid: string, expectedVersion: number): Promise<boolean> {
      if (expectedVersion === 0) {
        return db.put(table, { pk: PK, sk: 'CURRENT', kid, version: 1 }, { expr: 'attribute_not_exists(pk)' });
      }
      const out = await db.update({
        table,
        key: { pk: PK, sk: 'CURRENT' },
        update: 'SET kid = :kid, version = version + :one',
        condition: 'version = :v',
        values: { ':kid': kid, ':one': 1, ':v': expectedVersion },
      });
      return out !== undefined;
    },
    async markRotated(kid: string, at: number) {
      await db.update({
        table,
        key: { pk: PK, sk: `KEY#${kid}` },
        update: 'SET rotatedAt = if_not_exists(rotatedAt, :at)',
        condition: 'attribute_exists(pk)',
        values: { ':at': at },
      });
    },
    async remove(kid: string) {
      await db.delete(table, { pk: PK, sk: `KEY#${kid}` });
    },
  };
}
export type SigningKeyStore = ReturnType<typeof signingKeyStore>;
