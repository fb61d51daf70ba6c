import { systemContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { Item } from '../../shared/dynamo';
import type { AuditService } from '../audit/service';
import type { ClusterStore } from '../clusters/store';
import type { TenantStore } from '../tenants/store';
import type { AgentKeyStore } from './agent-keys-store';
import type { ApiKeyStore } from './api-keys-store';
import type { PepperRing } from './peppers';

/** API keys expiring within this are `expiresSoon` and get a warning audit event. */
export const EXPIRY_WARNING_MS = 7 * 24 * 3600 * 1000;

type PageFn<T> = (startKey?: Item) => Promise<{ items: T[]; lastKey?: Item }>;
async function* pages<T>(fetch: PageFn<T>): AsyncGenerator<T> {
  let startKey: Item | undefined;
  do {
    const page = await fetch(startKey);
    yield* page.items;
    startKey = page.lastKey;
  } while (startKey);
}

export interface PepperCounts {
  current: number;
  previous: number;
  untagged: number;
}

/**
 * Periodic and on-demand credential hygiene across tenants (worker and admin paths, so the
 * base identity): week-ahead warnings for expiring API keys, and how many live secrets are
 * still hashed with a previous pepper.
 */
export function keyHygiene(deps: {
  tenants: TenantStore;
  clusters: ClusterStore;
  apiKeys: ApiKeyStore;
  agentKeys: AgentKeyStore;
  audit: AuditService;
  peppers: PepperRing;
  clock: Clock;
  /** Which pepper the signing key that signs now is sealed under (see pepper-rotation.ts). */
  signingKeyPepper: () => Promise<'current' | 'previous' | 'none'>;
}) {
  const { tenants, clusters, apiKeys, agentKeys, audit, peppers, clock } = deps;
  const allTenants = () => pages((k) => tenants.list(100, k));

  return {
    /**
     * Records `api_key.expiring` (in the tenant's audit log) once for every active key that
     * expires within a week. The event is written before the key is marked, so a failure in
     * between repeats a warning rather than losing it.
     */
    async warnExpiring(): Promise<number> {
      const now = clock.now();
      const nowIso = isoTime(now);
      const horizon = isoTime(now + EXPIRY_WARNING_MS);
      let warned = 0;
      for await (const t of allTenants()) {
        for await (const k of pages((s) => apiKeys.list(t.id, 100, s))) {
          if (k.revokedAt || !k.expiresAt || k.expiresAt <= nowIso || k.expiresAt > horizon || k.expiryWarnedAt) continue;
          await audit.record(systemContext('key-expiry'), {
            action: 'api_key.expiring',
            tenantId: t.id,
            target: { type: 'api_key', id: k.id },
            result: 'success',
          });
          if (await apiKeys.markExpiryWarned(t.id, k.id, nowIso)) warned++;
        }
      }
      return warned;
    },

    /** Live (not revoked, not expired) secrets by the pepper their hash was made with. */
    async pepperStatus() {
      const nowIso = isoTime(clock.now());
      const count = () => ({ current: 0, previous: 0, untagged: 0 }) as PepperCounts;
      const apiKeyCounts = count();
      const agentKeyCounts = count();
      const tally = (c: PepperCounts, pepperId: string | undefined) => {
        if (pepperId === undefined) c.untagged++;
        else if (pepperId === peppers.currentId) c.current++;
        else c.previous++;
      };
      for await (const t of allTenants()) {
        for await (const k of pages((s) => apiKeys.list(t.id, 100, s))) {
          if (!k.revokedAt && (!k.expiresAt || k.expiresAt > nowIso)) tally(apiKeyCounts, k.pepperId);
        }
        for await (const c of pages((s) => clusters.list(t.id, 100, s))) {
          for await (const k of pages((s) => agentKeys.list(t.id, c.id, 100, s))) if (!k.revokedAt) tally(agentKeyCounts, k.pepperId);
        }
      }
      // A successor published at start signs only after NEXT_KEY_LEAD_MS: until then, dropping
      // the previous pepper would leave no key to sign agent tokens with.
      const signingKey = await deps.signingKeyPepper();
      return {
        currentPepperId: peppers.currentId,
        previousPepperIds: peppers.previousIds,
        apiKeys: apiKeyCounts,
        agentKeys: agentKeyCounts,
        signingKey,
        /** Secrets that still need a previous pepper (untagged ones might), the signing key included. */
        remaining:
          apiKeyCounts.previous + apiKeyCounts.untagged + agentKeyCounts.previous + agentKeyCounts.untagged + (signingKey === 'previous' ? 1 : 0),
      };
    },
  };
}
export type KeyHygiene = ReturnType<typeof keyHygiene>;
