import type { Db, Item } from '../../shared/dynamo';
import { credentialLookupKey } from '../../shared/keys';

/**
 * Writes and reads the vendor-level lookup of a credential id (see `credentialLookupKey`):
 * how a presented secret finds its tenant with strongly consistent reads only.
 *
 * Keys created before the lookup existed have none and would be refused: there is no
 * production data yet, so no migration is needed (the GSI attributes they carry are unused).
 */
export function credentialLookup(db: Db, table: string) {
  return {
    /**
     * Stores `item` (the credential, in its tenant's partition) and then its lookup, both with
     * conditional puts, before the caller may return the secret. The item goes first: a crash
     * between the two leaves a key nobody holds a secret for, listed (and revocable) in its
     * tenant and deleted with it, never an untracked lookup.
     */
    async create(item: Item & { pk: string; sk: string }, credentialId: string, mapping: { tenantId: string } & Record<string, string>) {
      const lookup = credentialLookupKey(credentialId);
      const tenantDb = db.forTenant(mapping.tenantId);
      if (!(await tenantDb.put(table, { ...item, lookupPk: lookup.pk }, { expr: 'attribute_not_exists(pk)' }))) {
        throw new Error(`credential ${credentialId} already exists`);
      }
      try {
        if (!(await db.put(table, { ...lookup, credentialId, ...mapping }, { expr: 'attribute_not_exists(pk)' }))) {
          throw new Error(`credential lookup ${credentialId} already exists`);
        }
      } catch (e) {
        await tenantDb.delete(table, { pk: item.pk, sk: item.sk }).catch(() => undefined);
        throw e;
      }
    },
    /** The mapping written at creation, or undefined for an unknown id. */
    async find<T extends Record<string, string>>(credentialId: string): Promise<T | undefined> {
      return db.get<T>(table, credentialLookupKey(credentialId), true);
    },
  };
}
export type CredentialLookup = ReturnType<typeof credentialLookup>;
