/**
 * Consumer groups through HTTP against the real server as its own process:
 *   1. offset commits/s and latency at 64 concurrent consumers (4 groups of 16 members, each
 *      committing its 16 partitions' offsets under its generation, back to back)
 *   2. rebalance time for 100 members: forming the group from nothing, and taking in a 101st
 *      member while the others heartbeat every HM_BENCH_HEARTBEAT_MS (default 100 ms)
 * Run: npm run bench -- groups-http
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Reply } from '../helpers/harness';
import { SimConsumer } from '../helpers/sim-consumer';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { startServer } from './processes';
import { figure, percentile } from './report';
import { benchCluster, call, runIfMain } from './setup';

const PARTITIONS = 256;

/** A SimConsumer's transport over the reference agent's HTTP client (202 = still waiting). */
function sender(agent: ReferenceAgent) {
  return async (method: string, url: string, body?: unknown): Promise<Reply> => {
    const out = await agent.call(method, () => url, body);
    return { status: out?.waiting ? 202 : 200, body: out, text: JSON.stringify(out), headers: {} };
  };
}

/** Polls every consumer on its own until all agree on a generation and own every partition once. */
async function settle(consumers: SimConsumer[], partitions: number, heartbeatMs: number): Promise<void> {
  let running = true;
  const loops = consumers.map(async (c) => {
    while (running) {
      await c.poll();
      await new Promise((r) => setTimeout(r, heartbeatMs * (0.9 + 0.2 * Math.random())));
    }
  });
  const all = Array.from({ length: partitions }, (_, p) => p).join();
  for (;;) {
    const generations = new Set(consumers.map((c) => c.generation));
    if (generations.size === 1 && !generations.has(-1) && consumers.flatMap((c) => c.partitions).sort((a, b) => a - b).join() === all) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  running = false;
  await Promise.all(loops);
}

export async function run(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-groups-'));
  const server = await startServer(dataDir, { HM_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' });
  const heartbeatMs = Number(process.env.HM_BENCH_HEARTBEAT_MS ?? 100);
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
    await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'orders', partitions: PARTITIONS });
    const tokens = new TokenSource(server.url, agentKey);
    const agent = new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: 'bench', tokenSource: tokens });
    const send = sender(agent);
    const base = (group: string) => `/agent/v1/clusters/${clusterId}/consumer-groups/${group}`;

    // 1. Offset commits at 64 consumers.
    const groups = Array.from({ length: 4 }, (_, g) => Array.from({ length: 16 }, (_, i) => new SimConsumer(send, base(`g${g}`), `c${g}-${i}`, 'orders', PARTITIONS, 30_000)));
    await Promise.all(groups.map((members) => settle(members, PARTITIONS, heartbeatMs)));
    let latencies: number[] = [];
    let refused = 0;
    let offset = 0;
    const commitFor = async (ms: number) => {
      const end = performance.now() + ms;
      await Promise.all(
        groups.flat().map(async (c) => {
          while (performance.now() < end) {
            offset++;
            const t0 = performance.now();
            const out = await agent.call('PUT', () => `${c.base}/offsets`, {
              memberId: c.memberId,
              generationId: c.generation,
              offsets: c.partitions.map((partition) => ({ topic: 'orders', partition, offset, metadata: '' })),
            });
            latencies.push(performance.now() - t0);
            refused += out.partitions.filter((p: { error?: string }) => p.error).length;
          }
        }),
      );
    };
    await commitFor(2_000); // warm-up
    latencies = [];
    const seconds = Number(process.env.HM_BENCH_SECONDS ?? 6);
    await commitFor(seconds * 1000);
    latencies.sort((a, b) => a - b);
    console.log('offset commits through HTTP: 64 consumers in 4 groups, 16 partitions per commit');
    figure('http_offset_commits_per_s_c64', latencies.length / seconds, 'commits/s', { partitions_per_commit: PARTITIONS / 16, refused_partitions: refused });
    figure('http_offset_commit_p50_ms_c64', percentile(latencies, 50), 'ms');
    figure('http_offset_commit_p99_ms_c64', percentile(latencies, 99), 'ms');

    // 2. A group of 100 members forms, then takes in a 101st.
    const big = Array.from({ length: 100 }, (_, i) => new SimConsumer(send, base('big'), `m${i}`, 'orders', PARTITIONS, 30_000));
    let t0 = performance.now();
    await settle(big, PARTITIONS, heartbeatMs);
    const formed = performance.now() - t0;
    const firstGeneration = big[0].generation;
    const late = new SimConsumer(send, base('big'), 'm100', 'orders', PARTITIONS, 30_000);
    big.push(late);
    t0 = performance.now();
    await settle(big, PARTITIONS, heartbeatMs);
    const rebalanced = performance.now() - t0;
    console.log(`rebalance of 100 members through HTTP (members heartbeat every ${heartbeatMs} ms)`);
    figure('group_formation_ms_100_members', formed, 'ms', { generation: firstGeneration });
    figure('group_rebalance_ms_101st_member', rebalanced, 'ms', { heartbeat_ms: heartbeatMs, generation: big[0].generation });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
