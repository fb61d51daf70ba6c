/**
 * Heartbeat benchmark. In one run:
 *  1. autocannon against a bare Fastify POST route and against the real heartbeat route
 *     (token check + validation + Redis), interleaved, printing both rates and their ratio;
 *  2. a simulated fleet of agents (default 10,000) heartbeating every 5 s against one server
 *     process, printing heartbeat latency percentiles as the agents see them, the fleet's
 *     registration (wall time, and server CPU per agent, which load elsewhere on the machine
 *     moves much less), and the same agents registering again at once (an outage's storm).
 * Both servers run as their own processes; the load comes from this one. Both run once per
 * embedded store transport in `HM_BENCH_STORE_MODES` (default `in-process`; e.g.
 * `in-process-http,in-process` to set the loopback hop against the direct call in one run);
 * figures of modes other than `in-process` carry `_store_<mode>`.
 * The autocannon agents deregister before the fleet starts: left silent, the liveness sweep
 * declares their deaths (and writes 256 membership records) about 30 s after the fleet's
 * first beats, inside or next to the measured window. `HM_BENCH_HB_AGENTS_LEAVE=0` leaves them
 * silent, to measure the sweep's cost on the fleet; the window's deaths and revivals written
 * are reported either way (`fleet_membership_writes_in_window`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import autocannon from 'autocannon';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { startFleet } from '../sim/fleet';
import { startFlags } from '../helpers/start-command';
import { bareFleet, type BareFleetResult } from './bare-fleet';
import { startProcess, startServer } from './processes';
import { childPids, cpuSeconds, figure as report, percentile, processName } from './report';
import { benchCluster, call, runIfMain } from './setup';

const STATS = { bytesIn: 1_048_576, bytesOut: 2_097_152, requests: 1200, openConnections: 35, cpuPercent: 41.5, memoryBytes: 734_003_200, lagMs: 12 };

async function cannon(opts: autocannon.Options): Promise<number> {
  const result = await autocannon({ connections: 64, duration: Number(process.env.HM_BENCH_SECONDS ?? 8), ...opts });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`autocannon: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export async function run() {
  for (const mode of (process.env.HM_BENCH_STORE_MODES ?? 'in-process').split(',')) await runMode(mode);
}

async function runMode(mode: string) {
  const suffix = mode === 'in-process' ? '' : `_store_${mode}`;
  const figure = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) => report(`${name}${suffix}`, value, unit, { store: mode, ...extra });
  console.log(`embedded store: ${mode}`);
  const fleetSize = Number(process.env.HM_BENCH_FLEET ?? 10_000);
  const fleetSeconds = Number(process.env.HM_BENCH_FLEET_SECONDS ?? 30);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-'));
  // autocannon sends each of its 256 agents hundreds of beats a second: lift the per-agent
  // budget (its check still runs on every beat, inside the heartbeat script).
  const server = await startServer(dataDir, { HM_HEARTBEATS_PER_INTERVAL: '1000000', HM_EMBEDDED_STORE: mode });
  const bare = await startProcess('test/bench/bare-server.ts', {}, '/ready', startFlags());
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'enterprise', limitOverrides: { agentsPerCluster: fleetSize + 1000 } });
    const tokens = new TokenSource(server.url, agentKey);
    const token = (await tokens.get()).accessToken;
    const hbAgents = Array.from({ length: 256 }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `hb-${i}`, zone: `us-east-1${'abc'[i % 3]}`, tokenSource: tokens }));
    await pool(hbAgents, 32, (a) => a.register());

    console.log('heartbeat route vs bare Fastify POST (autocannon, 64 connections, interleaved)');
    const body = JSON.stringify({ stats: STATS });
    const bareRates: number[] = [];
    const hbRates: number[] = [];
    // Both loads are shaped alike (a path per simulated agent, the same body), so the client's
    // own cost is the same on both sides; rounds alternate so drift hits both.
    const load = (base: string, headers: Record<string, string>, path: (i: number) => string) => {
      let n = 0;
      return cannon({ url: base, requests: [{ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, setupRequest: (req) => ({ ...req, path: path(n++ % hbAgents.length) }) }] });
    };
    for (let round = 0; round < 3; round++) {
      bareRates.push(await load(bare.url, {}, (i) => `/beat/hb-${i}`));
      hbRates.push(await load(server.url, { authorization: `Bearer ${token}` }, (i) => `/agent/v1/clusters/${clusterId}/agents/hb-${i}/heartbeat`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const bareRate = median(bareRates);
    const hbRate = median(hbRates);
    figure('bare_fastify_post_rps', bareRate, 'req/s', { rounds: bareRates });
    figure('heartbeat_rps', hbRate, 'req/s', { rounds: hbRates });
    figure('heartbeat_to_bare_ratio', hbRate / bareRate, 'ratio', { target: '>= 0.5', perRound: hbRates.map((h, i) => Number((h / bareRates[i]).toFixed(3))) });
    if (fleetSize === 0) return;
    const leave = process.env.HM_BENCH_HB_AGENTS_LEAVE !== '0';
    if (leave) await pool(hbAgents, 32, async (a) => void (await a.deregister()));
    const floor = await fleetFloor(bare, fleetSize, fleetSeconds, token, figure);
    await bare.stop();

    console.log(`simulated fleet: ${fleetSize.toLocaleString('en-US')} agents, server interval, ${fleetSeconds} s measured`);
    const regStart = performance.now();
    const regCpu = cpuSeconds(server.child.pid!);
    const fleet = await startFleet({ baseUrl: server.url, agentKey, count: fleetSize, stats: () => STATS });
    figure('fleet_registration_seconds', (performance.now() - regStart) / 1000, 's', { agents: fleetSize });
    // Wall time follows whatever else the machine runs; the server's CPU per agent much less.
    figure('fleet_registration_server_cpu_ms_per_agent', ((cpuSeconds(server.child.pid!) - regCpu) * 1000) / fleetSize, 'ms', { note: 'server process CPU while the fleet registered ÷ agents (the heartbeats of those already up included)' });
    // Warm up two intervals, then measure.
    await new Promise((r) => setTimeout(r, 2 * fleet.intervalMs));
    fleet.resetStats();
    // Where the time goes: CPU of the server, its redis-server and this simulator, and how
    // late this simulator's own event loop runs (it is part of what the agents measure).
    const pids = { server: server.child.pid!, redis: childPids(server.child.pid!).find((p) => /redis/.test(processName(p))) ?? -1 };
    const cpuBefore = { server: cpuSeconds(pids.server), redis: cpuSeconds(pids.redis), simulator: process.cpuUsage() };
    const simDelay = monitorEventLoopDelay({ resolution: 1 });
    const window = { from: Date.now(), to: 0 };
    simDelay.enable();
    await new Promise((r) => setTimeout(r, fleetSeconds * 1000));
    simDelay.disable();
    window.to = Date.now();
    const lat = fleet.latencies();
    const errors = fleet.errors();
    const cores = (before: number, after: number) => (after - before) / fleetSeconds;
    const simCpu = process.cpuUsage(cpuBefore.simulator);
    const serverCores = cores(cpuBefore.server, cpuSeconds(pids.server));
    const redisCores = cores(cpuBefore.redis, cpuSeconds(pids.redis));
    const writes = await membershipWrites(server.url, key, window.from, window.to);
    await fleet.stop();
    figure('fleet_heartbeats_per_second', lat.length / fleetSeconds, 'hb/s', { agents: fleetSize, intervalMs: fleet.intervalMs });
    figure('fleet_heartbeat_p50_ms', percentile(lat, 50), 'ms');
    figure('fleet_heartbeat_p99_ms', percentile(lat, 99), 'ms', { target: '< 10' });
    figure('fleet_heartbeat_max_ms', lat.at(-1) ?? NaN, 'ms');
    figure('fleet_heartbeat_errors', errors, 'errors');
    figure('fleet_server_cpu_cores', serverCores, 'cores');
    figure('fleet_server_cpu_us_per_heartbeat', (serverCores / (lat.length / fleetSeconds)) * 1e6, 'µs', { target: '<= 80', note: 'server process cores ÷ beats/s (background work included)' });
    figure('fleet_redis_cpu_cores', redisCores, 'cores');
    figure('fleet_simulator_cpu_cores', (simCpu.user + simCpu.system) / 1e6 / fleetSeconds, 'cores');
    figure('fleet_membership_writes_in_window', writes.died + writes.revived, 'writes', { ...writes, autocannonAgentsLeft: leave, note: 'agent.died / agent.revived records the liveness sweep wrote while the fleet was measured' });
    figure('fleet_simulator_event_loop_delay_p99_ms', simDelay.percentile(99) / 1e6, 'ms', { note: 'timer resolution 1 ms; part of every agent-side latency' });
    reportOverFloor(floor, { cpuUsPerBeat: (serverCores / (lat.length / fleetSeconds)) * 1e6, p50: percentile(lat, 50), p99: percentile(lat, 99) }, figure);
    // The same agents registering again at once (restarted after an outage, same identity and
    // details, still live): each one's stored record already matches, so nothing is written.
    const reStart = performance.now();
    const reCpu = cpuSeconds(pids.server);
    await pool(fleet.agents, 64, async (a) => void (await a.register()));
    figure('fleet_reregistration_seconds', (performance.now() - reStart) / 1000, 's', { agents: fleetSize });
    figure('fleet_reregistration_server_cpu_ms_per_agent', ((cpuSeconds(pids.server) - reCpu) * 1000) / fleetSize, 'ms');
  } finally {
    await bare.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Deaths and revivals the sweep wrote (each audited) between `from` and `to`, from the tenant's audit trail (newest first). */
async function membershipWrites(serverUrl: string, key: string, from: number, to: number) {
  const counts = { died: 0, revived: 0 };
  let cursor: string | undefined;
  do {
    const page = await call(`${serverUrl}/v1/audit-events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, 'GET', key);
    for (const e of page.items as { at: string; action: string }[]) {
      const at = Date.parse(e.at);
      if (at < from) return counts;
      if (at > to) continue;
      if (e.action === 'agent.died') counts.died++;
      else if (e.action === 'agent.revived') counts.revived++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return counts;
}

type Figure = (name: string, value: number, unit: string, extra?: Record<string, unknown>) => void;

/**
 * The floor HTTP/1.1 and Fastify set at the fleet's shape: the same number of agents at the same
 * pacing (the server's 5 s interval, ±10%) and over the same connection pool, against the bare
 * POST route. Run in the same bench run as the real fleet, so the two compare side by side.
 */
async function fleetFloor(bare: { url: string; child: { pid?: number } }, fleetSize: number, fleetSeconds: number, token: string, figure: Figure): Promise<BareFleetResult> {
  // The server's interval, as the fleet learns it at registration (the server reads the same variable).
  const intervalMs = Number(process.env.HM_HEARTBEAT_INTERVAL_MS ?? 5000);
  console.log(`the same fleet shape against the bare Fastify POST route: ${fleetSize.toLocaleString('en-US')} agents every ${intervalMs} ms, ${fleetSeconds} s measured`);
  const r = await bareFleet({ url: bare.url, serverPid: bare.child.pid!, count: fleetSize, intervalMs, warmupMs: 2 * intervalMs, seconds: fleetSeconds, body: { stats: STATS, configVersion: 1 }, token });
  figure('fleet_bare_requests_per_second', r.requestsPerSecond, 'req/s', { agents: fleetSize, intervalMs, errors: r.errors });
  figure('fleet_bare_p50_ms', percentile(r.latencies, 50), 'ms');
  figure('fleet_bare_p99_ms', percentile(r.latencies, 99), 'ms');
  figure('fleet_bare_server_cpu_us_per_request', r.serverCpuUsPerRequest, 'µs', { cores: Number(r.serverCores.toFixed(3)), note: 'bare server process cores ÷ req/s' });
  figure('fleet_bare_simulator_event_loop_delay_p99_ms', r.simulatorLoopDelayP99Ms, 'ms', { simulatorCores: Number(r.simulatorCores.toFixed(3)) });
  return r;
}

/** The heartbeat fleet's figures over the floor of the same run: what is ours. */
function reportOverFloor(floor: BareFleetResult, hb: { cpuUsPerBeat: number; p50: number; p99: number }, figure: Figure) {
  figure('fleet_heartbeat_cpu_over_bare_us', hb.cpuUsPerBeat - floor.serverCpuUsPerRequest, 'µs', { note: 'server CPU per heartbeat − bare server CPU per request: our share' });
  figure('fleet_heartbeat_cpu_to_bare_ratio', hb.cpuUsPerBeat / floor.serverCpuUsPerRequest, 'ratio');
  figure('fleet_heartbeat_p99_to_bare_ratio', hb.p99 / percentile(floor.latencies, 99), 'ratio', { p50Ratio: Number((hb.p50 / percentile(floor.latencies, 50)).toFixed(3)) });
}

runIfMain(import.meta, () => run());
