import type { Db, Item } from '../../shared/dynamo';
import { tenantPk } from '../../shared/keys';
import { credentialLookup } from './credential-lookup';

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  scopes: string[];
  /** HMAC-SHA256(pepper, secret material), hex. The secret itself is never stored. */
  secretHash: string;
  /** Fingerprint of the pepper `secretHash` was made with (see peppers.ts). */
  pepperId?: string;
  /** When the week-ahead expiry warning was recorded. */
  expiryWarnedAt?: string;
  createdAt: string;
  createdBy: string;
  expiresAt?: string;
  /** Absent until revoked (so the first revocation time is kept by `if_not_exists`). */
  revokedAt?: string;
}

const sk = (id: string) => `APIKEY#${id}`;

/**
 * API keys live in their tenant's partition; a vendor-level lookup item maps the key id
 * (from the presented secret) to the tenant. Both are read consistently (no GSI), so a key
 * works the moment it is returned and a revocation is seen at once.
 */
export function apiKeyStore(db: Db, table: string) {
  const lookup = credentialLookup(db, table);
  const strip = ({ pk: _p, sk: _s, gsi1pk: _g, gsi1sk: _h, lookupPk: _l, ...rest }: Item) => rest as unknown as ApiKey;
  const get = async (tenantId: string, id: string) => {
    const item = await db.forTenant(tenantId).get(table, { pk: tenantPk(tenantId), sk: sk(id) });
    return item ? strip(item) : undefined;
  };
  return {
    async create(k: ApiKey) {
      await lookup.create({ pk: tenantPk(k.tenantId), sk: sk(k.id), ...k }, k.id, { tenantId: k.tenantId });
    },
    get,
    /** Finds a key by id alone (authentication does not know the tenant yet). */
    async findById(id: string) {
      const found = await lookup.find<{ tenantId: string }>(id);
      return found ? get(found.tenantId, id) : undefined;
    },
    async list(tenantId: string, limit: number, startKey?: Item) {
      const page = await db.forTenant(tenantId).query({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': 'APIKEY#' },
        limit,
        startKey,
      });
      return { items: page.items.map(strip), lastKey: page.lastKey };
    },
    async countActive(tenantId: string, nowIso: string) {
      let n = 0;
      for await (const k of db.forTenant(tenantId).queryAll<ApiKey>({
        table,
        keyCondition: 'pk = :pk AND begins_with(sk, :p)',
        values: { ':pk': tenantPk(tenantId), ':p': 'APIKEY#' },
      })) {
        if (!k.revokedAt && (!k.expiresAt || k.expiresAt > nowIso)) n++;
      }
      return n;
    },
    /** Replaces a hash made with an earlier pepper, unless someone already did. */
    async rehash(tenantId: string, id: string, previousHash: string, next: { secretHash: string; pepperId: string }) {
      await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(id) },
        update: 'SET secretHash = :h, pepperId = :p',
        condition: 'secretHash = :old',
        values: { ':h': next.secretHash, ':p': next.pepperId, ':old': previousHash },
      });
    },
    /** Records the expiry warning once: true only for the call that recorded it. */
    async markExpiryWarned(tenantId: string, id: string, nowIso: string) {
      const out = await db.forTenant(tenantId).update({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(id) },
        update: 'SET expiryWarnedAt = :now',
        condition: 'attribute_exists(pk) AND attribute_not_exists(expiryWarnedAt)',
        values: { ':now': nowIso },
      });
      return out !== undefined;
    },
    /** Marks the key revoked; keeps the first revocation time when called again. */
    async revoke(tenantId: string, id: string, nowIso: string) {
      return db.forTenant(tenantId).update<ApiKey>({
        table,
        key: { pk: tenantPk(tenantId), sk: sk(id) },
        update: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        condition: 'attribute_exists(pk)',
        values: { ':now': nowIso },
      });
    },
  };
}
export type ApiKeyStore = ReturnType<typeof apiKeyStore>;
