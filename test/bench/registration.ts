/**
 * Registration storm benchmark: a simulated fleet (default 10,000 agents, as in `heartbeat`)
 * registering at once against a fresh server, each agent heartbeating as soon as it is up,
 * then the same agents registering again at once (records unchanged). Prints wall time and the
 * server's CPU per agent for both storms.
 *
 * `HM_BENCH_BASELINE=/path/to/checkout` runs that checkout's server too, alternating with this
 * one (`HM_BENCH_ROUNDS` pairs, default 2, the order flipped every round) and prints each
 * figure's ratio new ÷ baseline per pair: the side-by-side comparison a shared machine needs.
 * `HM_BENCH_REREGISTER=0` stops after the first storm (for a profile of just that, with
 * `HM_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=…"`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** One server (from `root`, or this checkout), one fleet: both storms. */
async function storms(fleetSize: number, root?: string): Promise<Storms> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-'));
  const server = await startServer(dataDir, {}, [], root);
  try {
    const { agentKey } = await benchCluster(server.url, dataDir, { tier: 'enterprise', limitOverrides: { agentsPerCluster: fleetSize + 1000 } });
    const pid = server.child.pid!;
    const start = performance.now();
    const cpu = cpuSeconds(pid);
    const fleet = await startFleet({ baseUrl: server.url, agentKey, count: fleetSize, stats: () => STATS });
    const out: Storms = { registrationSeconds: (performance.now() - start) / 1000, registrationCpuMsPerAgent: ((cpuSeconds(pid) - cpu) * 1000) / fleetSize };
    await fleet.stop();
    if (process.env.HM_BENCH_REREGISTER !== '0') {
      const reStart = performance.now();
      const reCpu = cpuSeconds(pid);
      await pool(fleet.agents, 64, async (a) => void (await a.register()));
      out.reregistrationSeconds = (performance.now() - reStart) / 1000;
      out.reregistrationCpuMsPerAgent = ((cpuSeconds(pid) - reCpu) * 1000) / fleetSize;
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
};

export async function run() {
  const fleetSize = Number(process.env.HM_BENCH_FLEET ?? 10_000);
  const baseline = process.env.HM_BENCH_BASELINE;
  const rounds = Number(process.env.HM_BENCH_ROUNDS ?? (baseline ? 2 : 1));
  console.log(`registration storms: ${fleetSize.toLocaleString('en-US')} agents, ${rounds} round(s)${baseline ? `, alternating with the baseline at ${baseline}` : ''}`);
  for (let round = 0; round < rounds; round++) {
    const sides: Array<['new' | 'baseline', string | undefined]> = baseline ? [['baseline', baseline], ['new', undefined]] : [['new', undefined]];
    if (round % 2 === 1) sides.reverse();
    const results: Partial<Record<'new' | 'baseline', Storms>> = {};
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
