import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { conflict, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { TIERS, TIER_CATALOGUE_VERSION, tierAtMost, type TierName } from '../tiers/catalogue';
import { effectiveLimits, type LimitOverrides } from '../tiers/limits';
import type { Tenant, TenantStatus, TenantStore } from './store';

/** The port through which tenant deletion is queued. */
export interface TenantJobs {
  purge(tenantId: string): Promise<void>;
}

/**
 * What the tenant domain asks of the domains built on top of it (clusters, credentials).
 * Tenants sit below them, so the way back is a set of functions passed in at composition.
 */
export interface TenantHooks<InitialKey> {
  /** Issues the new tenant's first API key (all scopes); its secret is shown once. */
  issueInitialKey(tenantId: string, createdBy: string): Promise<InitialKey>;
  /** Makes every live credential of the tenant stop working (suspension, deletion). */
  revokeCredentials(tenantId: string): Promise<void>;
  /** The tier of each of the tenant's clusters that still exists. */
  clusterTiers(tenantId: string, clusterIds: string[]): Promise<{ id: string; tier: TierName }[]>;
}

export interface UpdateTenantInput {
  name?: string;
  tier?: TierName;
  status?: Exclude<TenantStatus, 'deleting'>;
  limitOverrides?: LimitOverrides;
  /** The journal stripe count of clusters created from now on (existing clusters keep theirs). */
  journalStripes?: number;
}

export function tenantsService<InitialKey>(deps: {
  tenants: TenantStore;
  jobs: TenantJobs;
  hooks: TenantHooks<InitialKey>;
  clock: Clock;
  cursors: CursorCodec;
}) {
  const { tenants, jobs, hooks, clock, cursors } = deps;

  async function get(id: string): Promise<Tenant> {
    const t = await tenants.get(id);
    if (!t) throw notFound('tenant_not_found', `Tenant ${id} does not exist.`);
    return t;
  }

  /** A tier or limit change must not leave existing clusters beyond what the plan allows. */
  async function checkPlanChange(t: Tenant, tier: TierName, overrides: LimitOverrides) {
    const limits = effectiveLimits(tier, overrides);
    if (t.clusterIds.length > limits.clustersPerTenant) {
      throw conflict('limit_exceeded', `The tenant has ${t.clusterIds.length} clusters; the new plan allows ${limits.clustersPerTenant}.`);
    }
    if (TIERS[tier].rank >= TIERS[t.tier].rank) return;
    const above = (await hooks.clusterTiers(t.id, t.clusterIds)).filter((c) => !tierAtMost(c.tier, tier)).map((c) => c.id);
    if (above.length > 0) {
      throw conflict('tier_downgrade_blocked', `Clusters on a tier above "${tier}" must be changed or deleted first.`, { clusters: above });
    }
  }

  return {
    get,

    async create(ctx: RequestContext, input: { name: string; tier: TierName; limitOverrides?: LimitOverrides; journalStripes?: number }) {
      const now = clock.now();
      const tenant: Tenant = {
        id: newId('tenant', now),
        name: input.name,
        tier: input.tier,
        status: 'active',
        limitOverrides: input.limitOverrides ?? {},
        clusterIds: [],
        ...(input.journalStripes === undefined ? {} : { journalStripes: input.journalStripes }),
        tierCatalogueVersion: TIER_CATALOGUE_VERSION,
        version: 1,
        createdAt: isoTime(now),
        updatedAt: isoTime(now),
      };
      await tenants.create(tenant);
      const apiKey = await hooks.issueInitialKey(tenant.id, ctx.actor.id);
      return { tenant, apiKey };
    },

    async list(limit: number, cursor?: string) {
      const page = await tenants.list(limit, cursors.decode('admin:tenants', cursor));
      return { items: page.items, nextCursor: cursors.encode('admin:tenants', page.lastKey) ?? null };
    },

    async update(_ctx: RequestContext, id: string, input: UpdateTenantInput): Promise<Tenant> {
      const t = await get(id);
      if (t.status === 'deleting') throw conflict('tenant_deleting', `Tenant ${id} is being deleted.`);
      const tier = input.tier ?? t.tier;
      const overrides = input.limitOverrides ?? t.limitOverrides;
      if (input.tier !== undefined || input.limitOverrides !== undefined) await checkPlanChange(t, tier, overrides);
      const updated = await tenants.update(
        id,
        t.version,
        {
          name: input.name,
          tier: input.tier,
          status: input.status,
          limitOverrides: input.limitOverrides,
          journalStripes: input.journalStripes,
          tierCatalogueVersion: input.tier ? TIER_CATALOGUE_VERSION : undefined,
        },
        isoTime(clock.now()),
      );
      if (!updated) throw conflict('concurrent_modification', `Tenant ${id} changed meanwhile; read it again and retry.`);
      // Agent tokens outlive the request that suspends: revoke them explicitly.
      if (input.status === 'suspended' && t.status !== 'suspended') await hooks.revokeCredentials(id);
      return updated;
    },

    /** Refused while the tenant has clusters; otherwise marks it deleting and queues the purge. */
    async delete(_ctx: RequestContext, id: string): Promise<Tenant> {
      const t = await get(id);
      if (t.status === 'deleting') {
        // A retried delete re-queues the purge (the job id makes it idempotent).
        await jobs.purge(id);
        return t;
      }
      if (t.clusterIds.length > 0) {
        throw conflict('tenant_has_clusters', `Delete the tenant's ${t.clusterIds.length} cluster(s) first.`, { clusters: t.clusterIds });
      }
      const updated = await tenants.update(id, t.version, { status: 'deleting' }, isoTime(clock.now()));
      if (!updated) throw conflict('concurrent_modification', `Tenant ${id} changed meanwhile; read it again and retry.`);
      await hooks.revokeCredentials(id);
      await jobs.purge(id);
      return updated;
    },

    /** Worker step: removes the tenant's items (its audit trail is kept for compliance). */
    async purge(id: string): Promise<'purged' | 'skipped'> {
      const t = await tenants.get(id);
      if (!t || t.status !== 'deleting') return 'skipped';
      const { keys, lookups } = await tenants.partitionKeys(id);
      // Lookups first: a purge retried after a crash finds them through the items that name them.
      await tenants.removeMany(lookups);
      await tenants.removeMany(keys.filter((k) => k.sk !== 'TENANT'));
      await tenants.remove(id);
      return 'purged';
    },
  };
}
export type TenantsService<InitialKey = unknown> = ReturnType<typeof tenantsService<InitialKey>>;
