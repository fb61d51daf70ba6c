/**
 * Registration storm benchmark: a simulated fleet (default 10,000 agents, as in `heartbeat`)
 * registering at once against a fresh server, each agent heartbeating as soon as it is up,
 * then the same agents registering again at once (records unchanged), then as many new agents
 * registering at once without heartbeating (`quiet_registration_*`: a first registration's own
 * cost, which the fleet's figure mixes with the beats of the agents already up, more of them
 * the longer the storm lasts). Prints wall time and the server's CPU per agent for each storm.
 *
 * `HM_BENCH_BASELINE=/path/to/checkout` runs that checkout's server too, alternating with this
 * one (`HM_BENCH_ROUNDS` pairs, default 2, the order flipped every round) and prints each
 * figure's ratio new ÷ baseline per pair: the side-by-side comparison a shared machine needs.
 * `HM_BENCH_STORMS` picks storms (default `fleet,again,quiet`; `again` needs `fleet`); with
 * `HM_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"` one storm can be profiled alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { startFleet } from '../sim/fleet';
import { startServer } from './processes';
import { cpuSeconds, figure } from './report';
import { benchCluster, runIfMain } from './setup';

const STATS = { bytesIn: 1_048_576, bytesOut: 2_097_152, requests: 1200, openConnections: 35, cpuPercent: 41.5, memoryBytes: 734_003_200, lagMs: 12 };

interface Storms {
  registrationSeconds: number;
  registrationCpuMsPerAgent: number;
  reregistrationSeconds?: number;
  reregistrationCpuMsPerAgent?: number;
  quietRegistrationSeconds?: number;
  quietRegistrationCpuMsPerAgent?: number;
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** A storm's wall time and the server's CPU per agent, over `n` agents. */
async function measured(pid: number, n: number, storm: () => Promise<unknown>): Promise<[number, number]> {
  const start = performance.now();
  const cpu = cpuSeconds(pid);
  await storm();
  return [(performance.now() - start) / 1000, ((cpuSeconds(pid) - cpu) * 1000) / n];
}

/** One server (from `root`, or this checkout): the storms named in HM_BENCH_STORMS, in order. */
async function storms(fleetSize: number, root?: string): Promise<Partial<Storms>> {
  const which = new Set((process.env.HM_BENCH_STORMS ?? 'fleet,again,quiet').split(','));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-'));
  const server = await startServer(dataDir, {}, [], root);
  const out: Partial<Storms> = {};
  try {
    // Room for the fleet and the quiet storm's agents besides (the fleet's stay live meanwhile).
    const { agentKey } = await benchCluster(server.url, dataDir, { tier: 'enterprise', limitOverrides: { agentsPerCluster: 2 * fleetSize + 1000 } });
    const pid = server.child.pid!;
    if (which.has('fleet')) {
      let fleet: Awaited<ReturnType<typeof startFleet>> | undefined;
      [out.registrationSeconds, out.registrationCpuMsPerAgent] = await measured(pid, fleetSize, async () => {
        fleet = await startFleet({ baseUrl: server.url, agentKey, count: fleetSize, stats: () => STATS });
      });
      await fleet!.stop();
      if (which.has('again')) {
        [out.reregistrationSeconds, out.reregistrationCpuMsPerAgent] = await measured(pid, fleetSize, () => pool(fleet!.agents, 64, async (a) => void (await a.register())));
      }
    }
    if (which.has('quiet')) {
      // First registrations of agents that never beat: the registration's own cost, without
      // the beats of those already up (which grow with the storm's length).
      const tokens = new TokenSource(server.url, agentKey);
      const quiet = Array.from({ length: fleetSize }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `quiet-${i}`, zone: `us-east-1${'abc'[i % 3]}`, tokenSource: tokens }));
      [out.quietRegistrationSeconds, out.quietRegistrationCpuMsPerAgent] = await measured(pid, fleetSize, () => pool(quiet, 64, async (a) => void (await a.register())));
    }
    return out;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const UNITS: Record<keyof Storms, [string, string]> = {
  registrationSeconds: ['fleet_registration_seconds', 's'],
  registrationCpuMsPerAgent: ['fleet_registration_server_cpu_ms_per_agent', 'ms'],
  reregistrationSeconds: ['fleet_reregistration_seconds', 's'],
  reregistrationCpuMsPerAgent: ['fleet_reregistration_server_cpu_ms_per_agent', 'ms'],
  quietRegistrationSeconds: ['quiet_registration_seconds', 's'],
  quietRegistrationCpuMsPerAgent: ['quiet_registration_server_cpu_ms_per_agent', 'ms'],
};

export async function run() {
  const fleetSize = Number(process.env.HM_BENCH_FLEET ?? 10_000);
  const baseline = process.env.HM_BENCH_BASELINE;
  const rounds = Number(process.env.HM_BENCH_ROUNDS ?? (baseline ? 2 : 1));
  console.log(`registration storms: ${fleetSize.toLocaleString('en-US')} agents, ${rounds} round(s)${baseline ? `, alternating with the baseline at ${baseline}` : ''}`);
  for (let round = 0; round < rounds; round++) {
    const sides: Array<['new' | 'baseline', string | undefined]> = baseline ? [['baseline', baseline], ['new', undefined]] : [['new', undefined]];
    if (round % 2 === 1) sides.reverse();
    const results: Partial<Record<'new' | 'baseline', Partial<Storms>>> = {};
    for (const [side, root] of sides) {
      results[side] = await storms(fleetSize, root);
      for (const [k, v] of Object.entries(results[side]!) as Array<[keyof Storms, number]>) {
        const [name, unit] = UNITS[k];
        figure(baseline ? `${name}_${side}` : name, v, unit, { agents: fleetSize, round, loadAverage: os.loadavg()[0] });
      }
    }
    if (results.new && results.baseline) {
      for (const k of Object.keys(results.new) as Array<keyof Storms>) {
        const ratio = results.new[k]! / results.baseline[k]!;
        figure(`${UNITS[k][0]}_new_to_baseline`, ratio, 'ratio', { round });
      }
    }
  }
}

runIfMain(import.meta, () => run());
