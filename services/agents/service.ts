import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import type { CursorCodec } from '../../shared/cursor';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { AuditService } from '../audit/service';
import type { ClusterCache } from '../clusters/cluster-cache';
import type { MemberStore } from './members-store';
import type { LiveStore } from './live-store';
import { livenessSweeper } from './liveness';
import {
  DEAD_AFTER_INTERVALS,
  compareVersions,
  stateFromSilence,
  type AgentMember,
  type AgentState,
  type AgentStats,
  type RegisterInput,
} from './model';

export type Directive =
  | { type: 'config-changed'; configVersion: number }
  | { type: 'drain'; reason: string }
  | { type: 'upgrade-available'; version: string };

/** Agent registration, heartbeats and membership history for one deployment. */
export function fleetService(deps: {
  live: LiveStore;
  members: MemberStore;
  clusters: ClusterCache;
  audit: AuditService;
  clock: Clock;
  cursors: CursorCodec;
  intervalMs: number;
  /** Heartbeats one agent may send per interval, sustained (a burst of 5× that). */
  heartbeatsPerInterval?: number;
  recommendedVersion?: string;
  logger?: Logger;
  /** A death declared by the liveness sweep (see liveness.ts). */
  onAgentDead?: (d: { tenantId: string; clusterId: string; agentId: string }) => Promise<unknown>;
}) {
  const { live, members, clusters, audit, clock, cursors, intervalMs, recommendedVersion } = deps;
  const perInterval = deps.heartbeatsPerInterval ?? 2;
  const beatBudget = { emissionMs: intervalMs / perInterval, burst: 5 * perInterval };
  const deadAfterMs = DEAD_AFTER_INTERVALS * intervalMs;
  // Long enough for a dead agent's record to still be there when it comes back.
  const recordTtlSeconds = Math.ceil(deadAfterMs / 1000) + 3600;

  async function context(tenantId: string, clusterId: string) {
    const c = await clusters.get(tenantId, clusterId);
    if (!c || c.cluster.status === 'deleted') throw notFound('cluster_not_found', `Cluster ${clusterId} does not exist.`);
    return c;
  }

  function directives(cluster: { status: string; version: number }, agentVersion: string, configVersion?: number): Directive[] {
    const out: Directive[] = [];
    if (cluster.status === 'deleting') out.push({ type: 'drain', reason: 'cluster-deleting' });
    if (configVersion !== undefined && configVersion !== cluster.version) out.push({ type: 'config-changed', configVersion: cluster.version });
    if (recommendedVersion && agentVersion && compareVersions(agentVersion, recommendedVersion) < 0) {
      out.push({ type: 'upgrade-available', version: recommendedVersion });
    }
    return out;
  }

  const boundElsewhere = (agentId: string) =>
    forbidden('agent_id_bound', `Agent ${agentId} is registered with another credential; an agent id belongs to the credential that registered it.`);

  /**
   * The credential an agent id is bound to: the agent's principal (its agent key, or the role
   * of a workload identity). A read-write credential may take over a live agent's id (its key
   * was rotated); a read-only one may not. Internal callers (system) bind as themselves.
   */
  const credentialOf = (ctx: RequestContext) =>
    ctx.actor.kind === 'agent' ? { id: ctx.actor.id, mayRebind: ctx.actor.access === 'read-write' } : { id: `${ctx.actor.kind}:${ctx.actor.id}`, mayRebind: true };

  async function membershipEvent(ctx: RequestContext, tenantId: string, clusterId: string, agentId: string, action: string) {
    await audit.record(ctx, { action, tenantId, target: { type: 'agent', id: `${clusterId}/${agentId}` }, result: 'success' });
  }

  return {
    intervalMs,

    async register(ctx: RequestContext, tenantId: string, clusterId: string, input: RegisterInput) {
      const { cluster, limits } = await context(tenantId, clusterId);
      if (cluster.status === 'deleting') throw conflict('cluster_deleting', `Cluster ${clusterId} is being deleted.`);
      if (!cluster.regions.includes(input.region)) {
        throw unprocessable('invalid_region', `region must be one of the cluster's regions: ${cluster.regions.join(', ')}.`);
      }
      if (!input.zone.startsWith(input.region)) throw unprocessable('invalid_zone', `zone "${input.zone}" is not in region ${input.region}.`);
      const now = clock.now();
      const r = await live.register(tenantId, clusterId, input, now, recordTtlSeconds, limits.agentsPerCluster, now - deadAfterMs, credentialOf(ctx));
      if (r.result === 'bound') throw boundElsewhere(input.agentId);
      if (r.result === 'full') {
        throw conflict('agent_limit_reached', `The cluster's tier allows ${limits.agentsPerCluster} live agents.`, { limit: limits.agentsPerCluster });
      }
      const known = await members.get(tenantId, clusterId, input.agentId);
      const member: AgentMember = {
        ...input,
        tenantId,
        clusterId,
        state: 'live',
        registeredAt: known?.registeredAt ?? isoTime(now),
        updatedAt: isoTime(now),
      };
      const changed = !known || JSON.stringify({ ...known, updatedAt: '' }) !== JSON.stringify({ ...member, updatedAt: '' });
      if (changed) await members.put(member);
      if (!known) await membershipEvent(ctx, tenantId, clusterId, input.agentId, 'agent.registered');
      else if (known.state !== 'live') await membershipEvent(ctx, tenantId, clusterId, input.agentId, 'agent.revived');
      if (known && known.version !== input.version) await membershipEvent(ctx, tenantId, clusterId, input.agentId, 'agent.version_changed');
      if (r.rebound) await membershipEvent(ctx, tenantId, clusterId, input.agentId, 'agent.rebound');
      return { agentId: input.agentId, state: 'live' as const, heartbeatIntervalMs: intervalMs, configVersion: cluster.version, directives: directives(cluster, input.version) };
    },

    /**
     * One beat: Redis only. A beat that revives a dead agent is noted there, atomically, and
     * the liveness sweep writes the membership record and audit event, off this path. Given
     * `credentialId`, only the credential the agent registered with may beat for it.
     */
    async heartbeat(tenantId: string, clusterId: string, agentId: string, stats: AgentStats, configVersion?: number, credentialId?: string) {
      const { cluster } = await context(tenantId, clusterId);
      const r = await live.heartbeat(clusterId, agentId, stats, clock.now(), recordTtlSeconds, beatBudget, credentialId);
      if (r.result === 'bound') throw boundElsewhere(agentId);
      if (r.result === 'unknown') throw notFound('agent_not_registered', `Agent ${agentId} is not registered; register it again.`);
      if (r.result === 'too-soon') {
        const retryAfterSeconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
        throw new AppError(429, 'rate_limited', `Agent ${agentId} beats faster than ${perInterval} per ${intervalMs} ms; wait heartbeatIntervalMs between beats.`, { retryAfterSeconds, limit: 'agent-heartbeats' });
      }
      return { heartbeatIntervalMs: intervalMs, directives: directives(cluster, r.version, configVersion) };
    },

    async deregister(ctx: RequestContext, tenantId: string, clusterId: string, agentId: string) {
      await context(tenantId, clusterId);
      const known = await members.get(tenantId, clusterId, agentId);
      if (!known) throw notFound('agent_not_found', `Agent ${agentId} is not known.`);
      await live.deregister(clusterId, agentId, recordTtlSeconds);
      if (await members.setState(tenantId, clusterId, agentId, 'deregistered', isoTime(clock.now()))) {
        await membershipEvent(ctx, tenantId, clusterId, agentId, 'agent.deregistered');
      }
    },

    /** Proxies to hand out for Kafka Metadata: live same-zone first, then live elsewhere, then suspect. */
    async discovery(tenantId: string, clusterId: string, zone?: string) {
      await context(tenantId, clusterId);
      const now = clock.now();
      const agents = (await live.live(clusterId, now - deadAfterMs))
        .filter((a) => a.state !== 'deregistered' && a.info.roles.includes('proxy'))
        .map((a) => ({
          agentId: a.agentId,
          zone: a.info.zone,
          region: a.info.region,
          advertisedAddress: a.info.advertisedAddress,
          state: stateFromSilence(now - a.lastSeen, intervalMs),
          load: { openConnections: a.stats.openConnections ?? 0, cpuPercent: a.stats.cpuPercent ?? 0 },
        }))
        .filter((a): a is typeof a & { state: 'live' | 'suspect' } => a.state !== 'dead');
      const rank = (a: (typeof agents)[number]) => (a.state === 'suspect' ? 2 : zone && a.zone !== zone ? 1 : 0);
      agents.sort((a, b) => rank(a) - rank(b) || a.load.openConnections - b.load.openConnections || a.agentId.localeCompare(b.agentId));
      return { zone: zone ?? null, agents, generatedAt: isoTime(now) };
    },

    /** The customer's view: membership from the store, liveness from Redis. */
    async list(tenantId: string, clusterId: string, limit: number, cursor?: string) {
      await context(tenantId, clusterId);
      const scope = `T#${tenantId}:agents:${clusterId}`;
      const page = await members.list(tenantId, clusterId, limit, cursors.decode(scope, cursor));
      const now = clock.now();
      // The page's own records, dead agents' included (the live set no longer holds them).
      const records = await live.records(clusterId, page.items.map((m) => m.agentId));
      const items = page.items.map((m) => {
        const l = records.get(m.agentId);
        const state: AgentState =
          m.state === 'deregistered' ? 'deregistered' : !l || l.state === 'dead' ? 'dead' : stateFromSilence(now - l.lastSeen, intervalMs);
        return {
          agentId: m.agentId,
          version: m.version,
          region: m.region,
          zone: m.zone,
          advertisedAddress: m.advertisedAddress,
          roles: m.roles,
          capacity: m.capacity ?? {},
          state,
          lastHeartbeatAt: l ? isoTime(l.lastSeen) : (m.lastHeartbeatAt ?? null),
          stats: l?.stats ?? m.lastStats ?? {},
          registeredAt: m.registeredAt,
          updatedAt: m.updatedAt,
        };
      });
      return { items, nextCursor: cursors.encode(scope, page.lastKey) ?? null };
    },

    /** Liveness sweep (worker): see liveness.ts. */
    sweep: livenessSweeper({ live, members, audit, clock, intervalMs, logger: deps.logger, onDead: deps.onAgentDead }),

    async forgetCluster(tenantId: string, clusterId: string) {
      await live.forgetCluster(tenantId, clusterId);
      clusters.invalidate(tenantId, clusterId);
    },
  };
}
export type FleetService = ReturnType<typeof fleetService>;
