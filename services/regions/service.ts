import type { RequestContext } from '../../shared/actor';
import type { Clock } from '../../shared/clock';
import { isoTime } from '../../shared/clock';
import { conflict, notFound } from '../../shared/errors';
import type { NodeRecord, RegionStore } from './store';

/**
 * The regions a deployment runs in, as the nodes see them. Every node beats into the registry
 * (its region, endpoints, store health and how many clusters it leads) and reads everyone
 * else's in the same turn, so each node holds a picture of the deployment at most one beat old.
 * Operators drain a region (leadership moves away from it) and undrain it again.
 */
export interface NodeIdentity {
  nodeId: string;
  region: string;
  endpoint: string;
  address: string;
}

export interface RegionsView {
  /** When the registry was read (this node's clock). */
  readAt: number;
  nodes: NodeRecord[];
  drained: ReadonlySet<string>;
}

export interface RegionsLogger {
  warn(obj: object, msg?: string): void;
}

export interface RegionsDeps {
  store: RegionStore;
  clock: Clock;
  self: NodeIdentity;
  /** The node's own store round trips (see shared/store-latency.ts). */
  storeHealth: () => { samples: number; p90Ms: number };
  /** A node whose store p90 is above this is unhealthy: leadership does not move to it. */
  latencyBudgetMs: number;
  beatEveryMs?: number;
  /** Clusters this node leads (a hook from the metadata domain, passed at composition). */
  leading?: () => number;
  logger: RegionsLogger;
}

/** A node silent for this many beats is not live. */
export const LIVE_BEATS = 3;
/** A node silent this long is forgotten (its item deleted). */
const FORGET_AFTER_MS = 3600_000;

export function regionsService(deps: RegionsDeps) {
  const { store, clock, self } = deps;
  const beatEveryMs = deps.beatEveryMs ?? 1000;
  const startedAt = clock.now();
  let view: RegionsView | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let beating: Promise<void> | undefined;

  const isLive = (n: NodeRecord, now: number) => n.lastSeen >= now - LIVE_BEATS * beatEveryMs;

  function selfRecord(): NodeRecord {
    const health = deps.storeHealth();
    return {
      ...self,
      startedAt,
      lastSeen: clock.now(),
      storeLatencyMs: Math.round(health.p90Ms),
      healthy: health.p90Ms <= deps.latencyBudgetMs,
      leading: deps.leading?.() ?? 0,
    };
  }

  async function read(): Promise<RegionsView> {
    const { nodes, regions } = await store.all();
    const readAt = clock.now();
    const stale = nodes.filter((n) => n.lastSeen < readAt - FORGET_AFTER_MS);
    for (const n of stale) await store.deleteNode(n.nodeId);
    view = {
      readAt,
      nodes: nodes.filter((n) => !stale.includes(n)),
      drained: new Set(regions.filter((r) => r.drained).map((r) => r.region)),
    };
    return view;
  }

  async function beat(): Promise<void> {
    try {
      await store.putNode(selfRecord(), Math.ceil(FORGET_AFTER_MS / 1000));
      await read();
    } catch (e) {
      deps.logger.warn({ err: e }, 'region registry beat failed');
    }
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      beating = beat().finally(schedule);
    }, beatEveryMs);
    timer.unref();
  }

  async function known(region: string): Promise<RegionsView> {
    const v = await read();
    if (!v.nodes.some((n) => n.region === region) && !v.drained.has(region)) {
      throw notFound('region_not_found', `No node of this deployment runs in region ${region}.`);
    }
    return v;
  }

  async function setDrained(ctx: RequestContext, region: string, drained: boolean) {
    await store.putRegion({ region, drained, updatedAt: clock.now(), updatedBy: `${ctx.actor.kind}:${ctx.actor.id}` });
    await read();
    return regionOverview(region);
  }

  function regionOverview(region: string) {
    return overviewOf(view!).find((r) => r.region === region)!;
  }

  function overviewOf(v: RegionsView) {
    const now = clock.now();
    const names = [...new Set([...v.nodes.map((n) => n.region), ...v.drained])].sort();
    return names.map((region) => {
      const nodes = v.nodes
        .filter((n) => n.region === region)
        .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
        .map((n) => ({
          nodeId: n.nodeId,
          address: n.address,
          endpoint: n.endpoint,
          live: isLive(n, now),
          healthy: isLive(n, now) && n.healthy,
          storeLatencyMs: n.storeLatencyMs,
          leading: isLive(n, now) ? n.leading : 0,
          lastSeen: isoTime(n.lastSeen),
        }));
      const live = nodes.filter((n) => n.live);
      return {
        region,
        drained: v.drained.has(region),
        healthy: !v.drained.has(region) && live.some((n) => n.healthy),
        liveNodes: live.length,
        clustersLed: live.reduce((sum, n) => sum + n.leading, 0),
        nodes,
      };
    });
  }

  return {
    self,
    beatEveryMs,

    /** Registers this node and starts beating. */
    async start(): Promise<void> {
      running = true;
      await beat();
      schedule();
    },

    /** Stops beating and leaves the registry at once (others need not wait for silence). */
    async stop(): Promise<void> {
      if (!running) return;
      running = false;
      clearTimeout(timer);
      await beating;
      try {
        await store.deleteNode(self.nodeId);
      } catch (e) {
        deps.logger.warn({ err: e }, 'could not leave the region registry; the node will age out');
      }
    },

    /** The registry as last read (at most a beat old); read now if never read. */
    async view(): Promise<RegionsView> {
      return view ?? read();
    },

    isLive,

    /** Live nodes of `region` (any region when omitted) in the given view. */
    liveNodes(v: RegionsView, region?: string): NodeRecord[] {
      const now = clock.now();
      return v.nodes.filter((n) => isLive(n, now) && (region === undefined || n.region === region));
    },

    /** Admin: regions with their nodes, health and the clusters they lead (read now). */
    async overview() {
      return { items: overviewOf(await read()), generatedAt: isoTime(clock.now()) };
    },

    /** Moves every cluster's leadership out of `region` (see the metadata leadership). */
    async drain(ctx: RequestContext, region: string) {
      const v = await known(region);
      const elsewhere = v.nodes.some((n) => n.region !== region && !v.drained.has(n.region) && isLive(n, clock.now()));
      if (!elsewhere) {
        throw conflict('no_region_to_move_to', `No other undrained region has a live node; draining ${region} would leave no leader.`);
      }
      return setDrained(ctx, region, true);
    },

    async undrain(ctx: RequestContext, region: string) {
      await known(region);
      return setDrained(ctx, region, false);
    },
  };
}
export type RegionsService = ReturnType<typeof regionsService>;

