import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ReferenceAgent } from './agent';
import { auditJournal } from './journal-audit';
import { RegionBuckets } from './region-buckets';
import { callAny, setupRegionCluster, type RegionCluster } from './region-cluster';
import type { RegionLayout } from './region-layout';
import { RegionProducer } from './region-producer';
import { verifyLog } from './region-verify';

/**
 * The region-outage scenarios. Each runs on a fresh three-region cluster (its region order, so
 * its preferred region, shuffled), with producers behind agents in every region, injects one
 * fault at a random moment mid-stream, waits for the cluster to accept commits again, heals the
 * layout, and then reads everything back from the surviving buckets. Every run reports the
 * invariants (nothing acknowledged lost, no duplicates, offsets contiguous, no two leaders),
 * the recovery time (fault to the first commit acknowledged after it) and commit latencies.
 */
export const SCENARIOS = ['leader-loss', 'follower-loss', 'partition', 'soft-failure', 'region-returns', 'drain'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioResult {
  scenario: ScenarioName;
  latency: boolean;
  faultRegion: string;
  leaderBefore: string;
  leaderAfter: string | null;
  acknowledgedRecords: number;
  lostRecords: number;
  duplicateRecords: number;
  recoveryMs: number | null;
  /** Every acknowledged commit's latency as its producer saw it (fail-overs included). */
  commitLatenciesMs: number[];
  /** Median commit latency in the 3 s before the fault, and from 1 s after recovery to the end. */
  commitP50BeforeMs: number | null;
  commitP50AfterMs: number | null;
  /** Commits an agent gave up on (after its own fail-over) before a retry got them in. */
  failedCommits: number;
  /** Attempts that met a timeout, a refused connection or a 5xx other than a `not_leader` redirect. */
  failedAttempts: number;
  violations: string[];
  replicasReported: number;
}

export interface ScenarioOptions {
  /** Cross-region latency on every link (the seed's 80–100 ms) or none. */
  latency: boolean;
  run?: number;
  producersPerRegion?: number;
  log?: (line: string) => void;
  /** Extra latency of the soft failure (default 500 ms). */
  softFailureMs?: number;
  /** How long the cluster may take to accept commits again before the run counts as failed. */
  recoveryDeadlineMs?: number;
  /** Looks at the cluster after the read-back, before it is deleted (tests). */
  inspect?: (cluster: RegionCluster) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CROSS_REGION_MS: [number, number] = [80, 100];

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch {
      // keep polling
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The cluster's leading region as the control plane reports it (asked through any live region). */
async function leaderRegion(agent: ReferenceAgent): Promise<string | null> {
  return (await agent.controlPlane()).leaderRegion;
}

export async function runScenario(layout: RegionLayout, scenario: ScenarioName, o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => {});
  const recoveryDeadlineMs = o.recoveryDeadlineMs ?? 30_000;
  layout.setLatency(...(o.latency ? CROSS_REGION_MS : ([0, 0] as [number, number])));
  const name = `r${o.run ?? 0}-${scenario}-${randomBytes(3).toString('hex')}`;
  const cluster = await setupRegionCluster(layout, { name, regions: shuffled(layout.regions), partitions: 6 });
  const canary = `CANARY-${randomBytes(4).toString('hex')}`;
  const bucketDir = path.join(layout.dir, 'buckets', cluster.clusterId);
  const buckets = new RegionBuckets(bucketDir, cluster.buckets);
  const agentIn = (region: string, id = `agent-${region}`) =>
    new ReferenceAgent({
      baseUrl: layout.url(region),
      agentKey: cluster.agentKey,
      agentId: id,
      region,
      zone: `${region}a`,
      regions: { endpoints: layout.endpoints(), home: region, attemptTimeoutMs: 2000, deadlineMs: 30_000 },
    });
  const agents = new Map(cluster.regions.map((r) => [r, agentIn(r)]));
  await Promise.all([...agents.values()].map((a) => a.register()));
  const producers = new Map<string, RegionProducer[]>();
  for (const [region, agent] of agents) {
    producers.set(
      region,
      Array.from({ length: o.producersPerRegion ?? 2 }, (_, i) =>
        new RegionProducer({ name: `${region}-${i}`, agent, buckets, writeQuorum: 2, canary, topic: cluster.topic, partitions: cluster.partitions }),
      ),
    );
  }
  const all = () => [...producers.values()].flat();
  for (const p of all()) p.start();
  const acks = () => all().flatMap((p) => p.commits);
  const violations: string[] = [];
  const observer = agentIn(cluster.regions[0], 'observer');

  // Steady state: commits flow, and the cluster is led from its preferred region.
  await until('first commits', () => acks().length >= 20, 60_000).catch((e) => {
    const p = all()[0];
    throw new Error(`${(e as Error).message}; first producer: failures ${JSON.stringify(p.failures.slice(-3))}, refused ${JSON.stringify(p.rejections.slice(-3))}`);
  });
  const leaderBefore = await until('leadership in the preferred region', async () => ((await leaderRegion(observer)) === cluster.regions[0] ? cluster.regions[0] : undefined), 60_000);
  await sleep(300 + Math.random() * 1200);
  const others = cluster.regions.filter((r) => r !== leaderBefore);
  const faultRegion = scenario === 'follower-loss' ? others[Math.floor(Math.random() * others.length)] : leaderBefore;
  const stoppedProducers: Promise<void>[] = [];
  const faultAt = Date.now();
  const failedAttemptsBefore = totalFailedAttempts(agents);
  log(`${scenario}: fault in ${faultRegion} (leader ${leaderBefore}, preferred ${cluster.regions[0]})`);

  let recoveryMs: number | null = null;
  const firstAckAfter = async (t: number, from?: (url: string) => boolean, deadlineMs = recoveryDeadlineMs) => {
    const hit = await until('commits accepted again', () => acks().find((a) => a.ackAt > t && (!from || from(a.servedBy))), deadlineMs, 20).catch(() => undefined);
    return hit ? hit.ackAt - t : null;
  };
  const servedBy = (region: string) => (url: string) => layout.regionOfUrl(url) === region;
  const notServedBy = (region: string) => (url: string) => layout.regionOfUrl(url) !== region;

  switch (scenario) {
    case 'leader-loss':
    case 'follower-loss': {
      await layout.kill(faultRegion);
      layout.link(faultRegion).cut();
      buckets.lose(faultRegion);
      // The region's own agents went down with it.
      for (const p of producers.get(faultRegion)!) stoppedProducers.push(p.stop());
      recoveryMs = await firstAckAfter(faultAt, notServedBy(faultRegion));
      await sleep(2000);
      break;
    }
    case 'partition': {
      layout.link(faultRegion).cut();
      recoveryMs = await firstAckAfter(faultAt, notServedBy(faultRegion));
      await sleep(2000);
      break;
    }
    case 'soft-failure': {
      const base = o.latency ? CROSS_REGION_MS : [0, 0];
      const extra = o.softFailureMs ?? 500;
      layout.link(faultRegion).setLatency(base[0] + extra, base[1] + extra);
      recoveryMs = await firstAckAfter(faultAt, notServedBy(faultRegion));
      await sleep(2000);
      break;
    }
    case 'region-returns': {
      await layout.kill(faultRegion);
      layout.link(faultRegion).cut();
      recoveryMs = await firstAckAfter(faultAt, notServedBy(faultRegion));
      await sleep(1000);
      // Back: the node restarts, catches up from the store, and leadership returns by hand-over.
      layout.link(faultRegion).restore();
      await layout.startNode(faultRegion);
      const backAt = Date.now();
      const failedBefore = failedCommits(all());
      const returned = await firstAckAfter(backAt, servedBy(faultRegion), 60_000);
      if (returned === null) violations.push(`leadership did not return to ${faultRegion} after it came back`);
      await sleep(1000);
      if (failedCommits(all()) > failedBefore) violations.push(`${failedCommits(all()) - failedBefore} commits failed while leadership returned`);
      break;
    }
    case 'drain': {
      const admin = await layout.adminToken();
      await callAny(layout, 'POST', `/admin/v1/regions/${faultRegion}/drain`, admin);
      recoveryMs = await firstAckAfter(faultAt, notServedBy(faultRegion));
      await sleep(1500);
      const undrainAt = Date.now();
      await callAny(layout, 'POST', `/admin/v1/regions/${faultRegion}/undrain`, admin);
      if ((await firstAckAfter(undrainAt, servedBy(cluster.regions[0]), 60_000)) === null) violations.push('leadership did not return to the preferred region after undrain');
      await sleep(1000);
      break;
    }
  }
  const leaderAfter = await leaderRegion(observer).catch(() => null);
  const settledAt = faultAt + (recoveryMs ?? 0) + 1000;
  const commitP50AfterMs = median(acks().filter((a) => a.sentAt >= settledAt).map((a) => a.latencyMs));
  const commitP50BeforeMs = median(acks().filter((a) => a.ackAt < faultAt && a.ackAt >= faultAt - 3000).map((a) => a.latencyMs));
  for (const p of all()) stoppedProducers.push(p.stop());
  await Promise.all(stoppedProducers);
  const failedAttempts = totalFailedAttempts(agents) - failedAttemptsBefore;

  // A partitioned leader never acknowledges a commit sent after it was cut off.
  if (scenario === 'partition') {
    const late = acks().filter((a) => a.sentAt > faultAt && layout.regionOfUrl(a.servedBy) === faultRegion);
    if (late.length > 0) violations.push(`the partitioned leader acknowledged ${late.length} commits sent after the cut`);
  }
  if (recoveryMs === null) violations.push(`no commit was acknowledged within ${recoveryDeadlineMs} ms of the fault`);

  await heal(layout, faultRegion, o.latency);
  const reader = agentIn(cluster.regions.find((r) => r !== faultRegion)!, 'verifier');
  const verdict = await verifyLog({ agent: reader, buckets, canary, topic: cluster.topic, partitions: cluster.partitions, acked: all().flatMap((p) => p.acked), auditReplicas: true });
  const journal = await auditJournal(layout.storeUrl, cluster.tenantId, cluster.clusterId);
  const committed = new Set(acks().map((a) => a.fileId));
  for (const id of committed) if (!journal.files.has(id)) violations.push(`acknowledged file ${id} is not in the journal`);
  for (const p of all()) for (const r of p.rejections) violations.push(`commit ${r.fileId} refused: ${r.code}`);
  try {
    await o.inspect?.(cluster);
  } finally {
    await retire(layout, cluster);
    // Thousands of small objects per run: gone now, not all at once when the layout closes.
    await rm(bucketDir, { recursive: true, force: true });
  }
  return {
    scenario,
    latency: o.latency,
    faultRegion,
    leaderBefore,
    leaderAfter,
    acknowledgedRecords: verdict.acknowledgedRecords,
    lostRecords: verdict.lostRecords,
    duplicateRecords: verdict.duplicateRecords,
    recoveryMs,
    commitLatenciesMs: acks().map((a) => a.latencyMs),
    commitP50BeforeMs,
    commitP50AfterMs,
    failedCommits: failedCommits(all()),
    failedAttempts,
    violations: [...violations, ...verdict.violations, ...journal.problems],
    replicasReported: verdict.replicasReported,
  };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function failedCommits(ps: RegionProducer[]): number {
  return ps.reduce((n, p) => n + p.failures.length, 0);
}

function totalFailedAttempts(agents: Map<string, ReferenceAgent>): number {
  let n = 0;
  for (const a of agents.values()) {
    const s = a.regional!.stats;
    n += s.timeouts + s.refused + s.serverErrors;
  }
  return n;
}

/**
 * Puts the layout back for the next run: links open at the run's latency, every node up. A lost
 * bucket stays lost (each run has its own), so the read-back is from the surviving regions.
 */
async function heal(layout: RegionLayout, region: string, latency: boolean): Promise<void> {
  layout.link(region).restore();
  layout.link(region).setLatency(...(latency ? CROSS_REGION_MS : ([0, 0] as [number, number])));
  if (!layout.isRunning(region)) await layout.startNode(region);
}

/** Deletes the run's cluster so that its leases stop costing renewals in later runs. */
async function retire(layout: RegionLayout, cluster: RegionCluster): Promise<void> {
  try {
    await callAny(layout, 'DELETE', `/v1/clusters/${cluster.clusterId}`, cluster.tenantKey);
  } catch {
    // Best effort: a leftover cluster only renews its lease.
  }
}
