/**
 * What a mass death costs the heartbeats that share the process with the liveness sweep (the
 * embedded store runs in the API's process). In process, on a manual clock: a cluster of
 * `HM_BENCH_SWEEP_AGENTS` (default 1,000) agents of which `HM_BENCH_SWEEP_DEATHS` (default 256,
 * under the disruption share) fall silent; after six intervals one sweep declares them dead
 * and writes their membership records, while a probe sends a heartbeat (through the service)
 * every 2 ms and this process's event-loop delay is recorded, both over the same window from
 * the sweep's start (`HM_BENCH_SWEEP_WINDOW_MS`, default 3,000: past the paced sweep's
 * budget of half an interval), so both modes are sampled alike. Trials alternate the sweep as it
 * runs (paced) with the same sweep on a pacer that never pauses nor runs out of time
 * (unpaced), each trial on a fresh control plane; `HM_BENCH_SWEEP_TRIALS` pairs (default 2).
 */
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemContext } from '../../shared/actor';
import { manualClock } from '../../shared/clock';
import { realPacer, type Pacer } from '../../shared/paced';
import { livenessSweeper } from '../../services/agents/liveness';
import { singleRegionCluster, startHarness } from '../helpers/harness';
import { figure, percentile } from './report';
import { runIfMain } from './setup';

const INTERVAL = 5000;
const ctx = systemContext('agent-liveness');
const unpaced: Pacer = { now: () => 0, sleep: async () => {} };

async function trial(mode: 'paced' | 'unpaced', agents: number, deaths: number, windowMs: number) {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const h = await startHarness({ workers: false, clock, env: { HM_HEARTBEAT_INTERVAL_MS: String(INTERVAL), HM_HEARTBEATS_PER_INTERVAL: '1000000' } });
  try {
    const { tenant, key } = await h.createTenant('enterprise', 'Sweep');
    const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('sweep') });
    assert.equal(c.status, 202, c.text);
    await h.runtime.lifecycle.provision(tenant.id, c.body.id);
    const fleet = h.runtime.services.fleet;
    const ids = Array.from({ length: agents }, (_, i) => `agent-${i}`);
    for (const agentId of ids) {
      await fleet.register(ctx, tenant.id, c.body.id, { agentId, version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] });
    }
    const survivors = ids.slice(deaths);
    const beat = (agentId: string) => fleet.heartbeat(tenant.id, c.body.id, agentId, { openConnections: 1 });
    for (const a of ids) await beat(a);
    const sweep = livenessSweeper({ live: h.runtime.stores.live, members: h.runtime.stores.members, audit: h.runtime.services.audit, clock, intervalMs: INTERVAL, pacer: mode === 'paced' ? realPacer : unpaced });
    for (let i = 0; i < 7; i++) {
      clock.advance(INTERVAL);
      for (const a of survivors) await beat(a);
      if (i < 6) await sweep(ctx);
    }

    const lat: number[] = [];
    let probing = true;
    const probe = (async () => {
      for (let n = 0; probing; n++) {
        const t = performance.now();
        await beat(survivors[n % survivors.length]);
        lat.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    const r = await sweep(ctx);
    const sweepMs = performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowMs - sweepMs)));
    loop.disable();
    probing = false;
    await probe;
    lat.sort((a, b) => a - b);
    // The rest of the writes, unmeasured: each death written once in the end.
    let sweeps = 1;
    for (let q = r.queued; q > 0; sweeps++) q = (await sweep(ctx)).queued;
    return { died: r.died, synced: r.synced, deferred: r.deferred, sweeps, sweepMs, loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6, beatP99: percentile(lat, 99), beatMax: lat.at(-1) ?? NaN, beats: lat.length };
  } finally {
    await h.close();
  }
}

export async function run() {
  const agents = Number(process.env.HM_BENCH_SWEEP_AGENTS ?? 1000);
  const deaths = Number(process.env.HM_BENCH_SWEEP_DEATHS ?? 256);
  const pairs = Number(process.env.HM_BENCH_SWEEP_TRIALS ?? 2);
  const windowMs = Number(process.env.HM_BENCH_SWEEP_WINDOW_MS ?? 3000);
  console.log(`mass death: ${deaths} of ${agents} agents in one sweep, a heartbeat probe every 2 ms over ${windowMs} ms, ${pairs} alternated pairs`);
  const results: Record<string, Awaited<ReturnType<typeof trial>>[]> = { unpaced: [], paced: [] };
  for (let i = 0; i < pairs; i++) {
    for (const mode of ['unpaced', 'paced'] as const) {
      const r = await trial(mode, agents, deaths, windowMs);
      results[mode].push(r);
      console.log(`  ${mode}: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [mode, rs] of Object.entries(results)) {
    figure(`sweep_${mode}_first_sweep_ms`, median(rs.map((r) => r.sweepMs)), 'ms', { runs: rs.map((r) => Number(r.sweepMs.toFixed(1))), synced: rs.map((r) => r.synced), sweepsToDrain: rs.map((r) => r.sweeps) });
    figure(`sweep_${mode}_event_loop_delay_max_ms`, median(rs.map((r) => r.loopMaxMs)), 'ms', { runs: rs.map((r) => Number(r.loopMaxMs.toFixed(1))) });
    figure(`sweep_${mode}_heartbeat_p99_ms`, median(rs.map((r) => r.beatP99)), 'ms', { runs: rs.map((r) => Number(r.beatP99.toFixed(1))) });
    figure(`sweep_${mode}_heartbeat_max_ms`, median(rs.map((r) => r.beatMax)), 'ms', { runs: rs.map((r) => Number(r.beatMax.toFixed(1))) });
  }
}

runIfMain(import.meta, () => run());
