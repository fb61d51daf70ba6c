import type { Clock } from '../../shared/clock';
import type { ClusterStore } from '../clusters/store';
import type { LiveStore } from './live-store';
import { DEAD_AFTER_INTERVALS, compareVersions, stateFromSilence } from './model';

type Counts = Record<string, number>;
const bump = (c: Counts, k: string) => (c[k] = (c[k] ?? 0) + 1);

/**
 * The vendor's fleet view: agents by cluster, version, region and state; ready clusters with
 * no live agent; agents older than the recommended version (or, when none is configured,
 * than the newest version running anywhere).
 */
export function fleetOverview(deps: { live: LiveStore; clusters: ClusterStore; clock: Clock; intervalMs: number; recommendedVersion?: string }) {
  // Dead agents count while their liveness record is kept (the dead threshold plus an hour).
  const deadWindowMs = DEAD_AFTER_INTERVALS * deps.intervalMs + 3600_000;
  return async () => {
    const now = deps.clock.now();
    const byState: Counts = { live: 0, suspect: 0, dead: 0 };
    const byVersion: Counts = {};
    const byRegion: Counts = {};
    const byCluster: { tenantId: string; clusterId: string; live: number; suspect: number; dead: number }[] = [];
    const agents: { tenantId: string; clusterId: string; agentId: string; version: string }[] = [];
    const withLive = new Set<string>();
    for (const { tenantId, clusterId } of await deps.live.clusters()) {
      const row = { tenantId, clusterId, live: 0, suspect: 0, dead: 0 };
      // Every agent of the live set (a silent one is suspect or, until the sweep moves it, dead),
      // then the ones the sweep moved to the dead set.
      const seen = await deps.live.live(clusterId, 0);
      const ids = new Set(seen.map((a) => a.agentId));
      const dead = (await deps.live.dead(clusterId, now - deadWindowMs)).filter((a) => !ids.has(a.agentId));
      for (const a of [...seen, ...dead]) {
        if (a.state === 'deregistered') continue;
        const state = a.state === 'dead' ? 'dead' : stateFromSilence(now - a.lastSeen, deps.intervalMs);
        row[state]++;
        bump(byState, state);
        if (state === 'dead') continue;
        bump(byVersion, a.info.version);
        bump(byRegion, a.info.region);
        agents.push({ tenantId, clusterId, agentId: a.agentId, version: a.info.version });
        if (state === 'live') withLive.add(clusterId);
      }
      if (row.live + row.suspect + row.dead > 0) byCluster.push(row);
    }
    const clustersWithoutLiveAgents: { tenantId: string; clusterId: string; name: string }[] = [];
    for await (const c of deps.clusters.allWithStatus(['ready'])) {
      const cl = c as { id: string; tenantId: string; name: string };
      if (!withLive.has(cl.id)) clustersWithoutLiveAgents.push({ tenantId: cl.tenantId, clusterId: cl.id, name: cl.name });
    }
    const newest = agents.map((a) => a.version).sort(compareVersions).at(-1);
    const target = deps.recommendedVersion ?? newest;
    const outdatedAgents = target ? agents.filter((a) => compareVersions(a.version, target) < 0) : [];
    return { generatedAt: new Date(now).toISOString(), targetVersion: target ?? null, byState, byVersion, byRegion, byCluster, clustersWithoutLiveAgents, outdatedAgents };
  };
}
export type FleetOverview = ReturnType<typeof fleetOverview>;
