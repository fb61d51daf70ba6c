import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { conflict, forbidden, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { Logger } from '../../shared/logger';
import type { TierName } from '../tiers/catalogue';
import { effectiveLimits } from '../tiers/limits';
import type { Tenant, TenantStore } from '../tenants/store';
import { DEFAULT_CLUSTER_CONFIG, type Cluster, type ClusterConfig, type ClusterStorage } from './model';
import { clusterCreation } from './creation';
import { chooseJournalStripes, MAX_JOURNAL_STRIPES } from './journal-stripes';
import { checkConfig, checkTierAllowed, checkTopology } from './rules';
import type { ClusterStore } from './store';

/** The port through which cluster lifecycle work is queued (BullMQ in production). */
export interface ClusterJobs {
  provision(tenantId: string, clusterId: string): Promise<void>;
  destroy(tenantId: string, clusterId: string): Promise<void>;
}

export interface CreateClusterInput {
  name: string;
  tier?: TierName;
  regions: string[];
  storage: ClusterStorage;
  config?: Partial<ClusterConfig>;
  deletionProtection?: boolean;
}

export interface UpdateClusterInput {
  tier?: TierName;
  config?: Partial<ClusterConfig>;
  deletionProtection?: boolean;
}

export function clustersService(deps: {
  clusters: ClusterStore;
  tenants: TenantStore;
  jobs: ClusterJobs;
  clock: Clock;
  cursors: CursorCodec;
  logger: Logger;
  /** The fleet's cap on a new cluster's journal stripes (journal-stripes.ts); default 16. */
  maxJournalStripes?: number;
}) {
  const { clusters, tenants, jobs, clock, cursors, logger } = deps;
  const stripeCap = deps.maxJournalStripes ?? MAX_JOURNAL_STRIPES;
  const creation = clusterCreation({ clusters, tenants, clock, logger });

  async function activeTenant(tenantId: string): Promise<Tenant> {
    const t = await tenants.get(tenantId);
    if (!t) throw notFound('tenant_not_found', `Tenant ${tenantId} does not exist.`);
    if (t.status !== 'active') throw forbidden(`tenant_${t.status}`, `The tenant is ${t.status}.`);
    return t;
  }

  async function get(tenantId: string, id: string): Promise<Cluster> {
    const c = await clusters.get(tenantId, id);
    // The key carries the tenant, so another tenant's cluster is simply not found.
    if (!c) throw notFound('cluster_not_found', `Cluster ${id} does not exist.`);
    return c;
  }

  /** Queues work whose durable intent is already stored; the reconciler re-queues on failure. */
  async function queue(what: 'provision' | 'destroy', c: Cluster) {
    try {
      await jobs[what](c.tenantId, c.id);
    } catch (e) {
      logger.error({ err: e, clusterId: c.id, what }, 'could not queue cluster job; the reconciler will retry');
    }
  }

  return {
    get,

    async create(_ctx: RequestContext, tenantId: string, input: CreateClusterInput): Promise<Cluster> {
      const tenant = await activeTenant(tenantId);
      const tier = input.tier ?? tenant.tier;
      checkTierAllowed(tier, tenant.tier);
      checkTopology(tier, input.regions, input.storage);
      const limits = effectiveLimits(tier, tenant.limitOverrides);
      const config = { ...DEFAULT_CLUSTER_CONFIG, ...(input.config ?? {}) };
      checkConfig(config, limits);

      const now = clock.now();
      const id = newId('cluster', now);
      const cluster: Cluster = {
        id,
        tenantId,
        name: input.name,
        tier,
        regions: input.regions,
        storage: input.storage,
        config,
        deletionProtection: input.deletionProtection ?? false,
        // Fixed for the cluster's life: every node maps journal slots to keys by it.
        journalStripes: chooseJournalStripes(tier, tenant.journalStripes, stripeCap),
        status: 'provisioning',
        createdAt: isoTime(now),
        updatedAt: isoTime(now),
        version: 1,
      };
      await creation.write(tenant, cluster, effectiveLimits(tenant.tier, tenant.limitOverrides).clustersPerTenant);
      await queue('provision', cluster);
      return cluster;
    },

    async list(tenantId: string, limit: number, cursor?: string, includeDeleted = false) {
      const scope = `T#${tenantId}:clusters:${includeDeleted}`;
      const page = await clusters.list(tenantId, limit, cursors.decode(scope, cursor));
      const items = includeDeleted ? page.items : page.items.filter((c) => c.status !== 'deleted');
      return { items, nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    async listAll(limit: number, cursor?: string, status?: Cluster['status']) {
      const scope = `admin:clusters:${status ?? ''}`;
      const page = await clusters.listAll(limit, cursors.decode(scope, cursor), status);
      return { items: page.items, nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    async update(_ctx: RequestContext, tenantId: string, id: string, input: UpdateClusterInput): Promise<Cluster> {
      const current = await get(tenantId, id);
      if (current.status === 'deleting' || current.status === 'deleted') {
        throw conflict('cluster_deleting', `Cluster ${id} is ${current.status}.`);
      }
      const tenant = await activeTenant(tenantId);
      const tier = input.tier ?? current.tier;
      if (input.tier) {
        checkTierAllowed(tier, tenant.tier);
        checkTopology(tier, current.regions, current.storage);
      }
      const config = { ...current.config, ...(input.config ?? {}) };
      checkConfig(config, effectiveLimits(tier, tenant.limitOverrides));
      const updated = await clusters.update(
        tenantId,
        id,
        { version: current.version, status: ['provisioning', 'ready'] },
        { tier, config, deletionProtection: input.deletionProtection ?? current.deletionProtection },
        isoTime(clock.now()),
      );
      if (!updated) throw conflict('concurrent_modification', `Cluster ${id} changed meanwhile; read it again and retry.`);
      return updated;
    },

    async delete(_ctx: RequestContext, tenantId: string, id: string): Promise<Cluster> {
      const current = await get(tenantId, id);
      if (current.status === 'deleting' || current.status === 'deleted') return current;
      if (current.deletionProtection) {
        throw conflict('deletion_protected', `Cluster ${id} has deletion protection on; turn it off first.`);
      }
      const updated = await clusters.update(
        tenantId,
        id,
        { version: current.version, status: ['provisioning', 'ready'] },
        { status: 'deleting' },
        isoTime(clock.now()),
      );
      if (!updated) throw conflict('concurrent_modification', `Cluster ${id} changed meanwhile; read it again and retry.`);
      await queue('destroy', updated);
      return updated;
    },

    /** For the reconciler: takes back the names and plan slots of creates that never finished. */
    reclaimLeakedCreates: () => creation.reclaimLeaked(),

    /** The limits that apply to one cluster: its tier, with its tenant's overrides. */
    async limitsFor(cluster: Cluster) {
      const tenant = await tenants.get(cluster.tenantId);
      return effectiveLimits(cluster.tier, tenant?.limitOverrides);
    },
  };
}
export type ClustersService = ReturnType<typeof clustersService>;
