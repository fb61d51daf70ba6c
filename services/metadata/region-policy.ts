import type { NodeRecord } from '../regions/store';
import type { RegionsView } from '../regions/service';
import type { RegionDirectory } from './control-plane';
import type { Lease } from './lease-store';

/**
 * Where a multi-region cluster's leadership belongs. The cluster ranks its regions (its own
 * order, drained regions left out); leadership goes to the best-ranked region with a live,
 * healthy node (one whose store round trips are within budget, see services/regions).
 *
 * - Taking: a node takes a free or expired lease only when no better-ranked region has a
 *   healthy node, not counting the region of a holder that let its lease expire (it is
 *   probably gone, however fresh its last beat). It names that better node instead.
 * - Leading: a leader in a drained region hands over at once; a degraded leader (the p90 of its
 *   last 20 journal appends and lease renewals past the budget) hands over to the best other
 *   healthy region;
 *   a leader below its cluster's best region hands back once that region's node has been
 *   healthy for `returnAfterMs` (so a region that recovers for a moment does not flap).
 * Every move is a hand-over to a named successor (lease-store.ts), never an expiry.
 */
export interface Placement {
  directory: RegionDirectory;
  /** This node's region and id. */
  region: string;
  nodeId: string;
  /** Lease timing of multi-region clusters (short: a hard failure is recovered in seconds). */
  leaseMs: number;
  renewEveryMs: number;
  /** A leader whose last 20 journal appends and lease renewals have a p90 above this steps down. */
  latencyBudgetMs: number;
  /** A better-ranked region must be healthy this long before leadership returns to it. */
  returnAfterMs: number;
}

/** The cluster's regions in the order leadership should go: its own order, drained ones out. */
export function rankedRegions(regions: readonly string[], view: Pick<RegionsView, 'drained'>): string[] {
  return regions.filter((r) => !view.drained.has(r));
}

/** The node of `region` to hand a cluster to: live and healthy, leading the fewest clusters. */
export function candidateIn(directory: RegionDirectory, view: RegionsView, region: string, except: string): NodeRecord | undefined {
  return directory
    .liveNodes(view, region)
    .filter((n) => n.healthy && n.nodeId !== except)
    .sort((a, b) => a.leading - b.leading || a.nodeId.localeCompare(b.nodeId))[0];
}

export type TakeDecision = { take: true } | { take: false; leader: string };

/** May this node take the (free or expired) lease of a cluster with these regions? */
export function mayTake(p: Placement, regions: readonly string[], lease: Lease | undefined, view: RegionsView, now: number): TakeDecision {
  const ranking = rankedRegions(regions, view);
  const own = ranking.indexOf(p.region);
  // The region of a holder that failed to renew does not count, however fresh its last beat.
  const lapsed = lease?.holder && lease.expiresAt <= now ? lease.holderRegion : null;
  for (const region of own === -1 ? ranking : ranking.slice(0, own)) {
    if (region === lapsed) continue;
    const better = candidateIn(p.directory, view, region, p.nodeId);
    if (better) return { take: false, leader: better.address };
  }
  return { take: true };
}

export type Move = { to: NodeRecord; reason: 'drained' | 'degraded' | 'preferred' };

/** A leader's watch over where its cluster belongs, checked on every renewal. */
export class LeaderWatch {
  /** The better-ranked node seen healthy, and since when (continuously). */
  private since: { nodeId: string; at: number } | undefined;

  constructor(
    private readonly p: Placement,
    readonly regions: readonly string[],
  ) {}

  check(view: RegionsView, now: number, degraded: boolean): Move | undefined {
    const ranking = rankedRegions(this.regions, view);
    const own = ranking.indexOf(this.p.region);
    const best = (among: string[]) => {
      for (const region of among) {
        const node = candidateIn(this.p.directory, view, region, this.p.nodeId);
        if (node) return node;
      }
      return undefined;
    };
    if (own === -1) {
      const to = best(ranking);
      return to && { to, reason: 'drained' };
    }
    if (degraded) {
      const to = best(ranking.filter((r) => r !== this.p.region));
      if (to) return { to, reason: 'degraded' };
    }
    const better = best(ranking.slice(0, own));
    if (!better) {
      this.since = undefined;
      return undefined;
    }
    if (this.since?.nodeId !== better.nodeId) this.since = { nodeId: better.nodeId, at: now };
    return now - this.since.at >= this.p.returnAfterMs ? { to: better, reason: 'preferred' } : undefined;
  }
}
