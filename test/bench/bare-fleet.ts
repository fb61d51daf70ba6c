/**
 * The floor under the fleet's heartbeat figures: the same simulated fleet shape (N agents, each
 * POSTing the same JSON body every interval with ±10% jitter from a random start, over the
 * simulator's shared keep-alive connection pool) against the bare Fastify POST route of
 * `bare-server.ts`. What the bare server spends per request, and the latency the agents see,
 * is what HTTP/1.1 and Fastify cost on this machine at this shape; the heartbeat route's
 * figures over these are our own share.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { httpJson } from '../sim/regional-client';
import { cpuSeconds } from './report';

export interface BareFleetResult {
  requestsPerSecond: number;
  /** Sorted, ms. */
  latencies: number[];
  errors: number;
  serverCores: number;
  serverCpuUsPerRequest: number;
  simulatorCores: number;
  simulatorLoopDelayP99Ms: number;
}

/** Runs `count` paced agents against `url`'s `/beat/:id` for `warmupMs`, then measures `seconds`. */
export async function bareFleet(o: { url: string; serverPid: number; count: number; intervalMs: number; warmupMs: number; seconds: number; body: unknown; token: string }): Promise<BareFleetResult> {
  let latencies: number[] = [];
  let errors = 0;
  let running = true;
  const timers = new Set<NodeJS.Timeout>();
  const jittered = () => o.intervalMs * (0.9 + 0.2 * Math.random());
  // As the reference agent does it: the same header set (the token included), body and parse.
  const headers = { authorization: `Bearer ${o.token}` };
  const agent = (i: number) => {
    const beat = async () => {
      if (!running) return;
      const started = performance.now();
      try {
        const res = await httpJson('POST', `${o.url}/beat/sim-${i}`, headers, o.body);
        if (!res.ok) throw new Error(String(res.status));
        latencies.push(performance.now() - started);
      } catch {
        errors++;
      }
      if (running) schedule(jittered());
    };
    const schedule = (ms: number) => {
      const t = setTimeout(() => {
        timers.delete(t);
        void beat();
      }, ms);
      timers.add(t);
    };
    schedule(Math.random() * o.intervalMs);
  };
  for (let i = 0; i < o.count; i++) agent(i);
  await new Promise((r) => setTimeout(r, o.warmupMs));
  latencies = [];
  errors = 0;
  const cpuBefore = { server: cpuSeconds(o.serverPid), simulator: process.cpuUsage() };
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  loopDelay.disable();
  const serverCores = (cpuSeconds(o.serverPid) - cpuBefore.server) / o.seconds;
  const sim = process.cpuUsage(cpuBefore.simulator);
  const measured = latencies.sort((a, b) => a - b);
  running = false;
  for (const t of timers) clearTimeout(t);
  const requestsPerSecond = measured.length / o.seconds;
  return {
    requestsPerSecond,
    latencies: measured,
    errors,
    serverCores,
    serverCpuUsPerRequest: (serverCores / requestsPerSecond) * 1e6,
    simulatorCores: (sim.user + sim.system) / 1e6 / o.seconds,
    simulatorLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
  };
}
