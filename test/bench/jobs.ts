/**
 * Agent-job benchmark. In one run:
 *  1. hand-outs per second through HTTP poll + complete with 100 simulated agents (one
 *     server process; jobs queued beforehand straight into the cluster's BullMQ queue);
 *  2. concurrent long polls held by that one process (default 10,000, with nothing to hand
 *     out), the Redis connections it used meanwhile (CLIENT LIST), and how fast 100 jobs
 *     added then reach 100 of the waiting polls;
 *  3. compaction's effect on the metadata, in process: files and heap per partition of a
 *     small-file workload before and after its compaction jobs' results (and the deletion of
 *     the old files).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { Redis } from 'ioredis';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { startTestRedis } from '../helpers/redis';
import { startServer } from './processes';
import { figure, percentile } from './report';
import { benchCluster, runIfMain } from './setup';
import { agentJobQueues } from '../../workers/agent-jobs';
import { createLogger } from '../../shared/logger';
import { ClusterCore } from '../../services/metadata/core';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateCompactionResult } from '../../services/metadata/compaction';
import { compactionCandidates, DEFAULT_COMPACTION } from '../../services/metadata/job-reads';
import { listDueFiles } from '../../services/metadata/file-lifecycle';

const PREFIX = 'hmbench';

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function redisClients(url: string): Promise<number> {
  const r = new Redis(url);
  const list = (await r.client('LIST')) as string;
  r.disconnect();
  // Less the connection asking.
  return list.trim().split('\n').length - 1;
}

async function httpPart() {
  const agents = 100;
  const jobs = Number(process.env.HM_BENCH_JOBS ?? 4000);
  const polls = Number(process.env.HM_BENCH_LONG_POLLS ?? 10_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-jobs-'));
  const redis = await startTestRedis();
  const server = await startServer(dataDir, {
    REDIS_URL: redis.url,
    HM_QUEUE_PREFIX: PREFIX,
    HM_JOB_LEASE_MS: '120000',
    HM_JOB_PLAN_EVERY_MS: '3600000',
    HM_HEARTBEAT_INTERVAL_MS: '300000',
    // Ten thousand polls arriving within seconds stall the event loop of a loaded machine for a
    // while; revocation polling must not give up on its staleness budget meanwhile.
    HM_REVOCATION_MAX_STALENESS_MS: '120000',
    HM_REDIS_COMMAND_TIMEOUT_MS: '10000',
  });
  const logger = createLogger('silent');
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queues = agentJobQueues({ connection: conn, prefix: PREFIX, leaseMs: 120_000, maxAttempts: 5, backoffMs: 1000, logger });
  const http = new Agent({ connections: polls + 200, headersTimeout: 120_000, bodyTimeout: 120_000, keepAliveTimeout: 60_000 });
  try {
    const { clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'enterprise', limitOverrides: { agentsPerCluster: 5000, metadataRequestsPerSecond: 10_000_000 } });
    const tokens = new TokenSource(server.url, agentKey);
    const fleet = Array.from({ length: agents }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `worker-${i}`, roles: ['jobs'], tokenSource: tokens }));
    await pool(fleet, 16, async (a) => void (await a.register()));
    const token = (await tokens.get()).accessToken;
    const post = async (p: string, body: unknown) => {
      const res = await request(`${server.url}${p}`, { method: 'POST', dispatcher: http, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    };
    const base = `/agent/v1/clusters/${clusterId}/jobs`;
    const tenantId = (await tokens.get()).tenantId;
    const enqueue = async (n: number, tag: string) => {
      await pool(Array.from({ length: n }, (_, i) => i), 32, async (i) => {
        await queues.plan({ tenantId, clusterId, workItem: `bench:${tag}:${i}`, type: 'orphan-scan', payload: { region: 'us-east-1', bucket: 's3://bench/data', olderThanMs: 0, maxKeys: 1 } });
      });
    };

    // 1. Hand-outs per second: each agent polls, completes, polls again.
    await enqueue(jobs, 'handout');
    let done = 0;
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(fleet.map(async (a) => {
      for (;;) {
        const t0 = performance.now();
        const r = await post(`${base}/poll`, { agentId: a.opts.agentId, waitMs: 500 });
        if (r.status === 204) return;
        if (r.status !== 200) throw new Error(`poll: ${r.status} ${JSON.stringify(r.body)}`);
        const c = await post(`${base}/${r.body.jobId}/complete`, { leaseToken: r.body.leaseToken, result: { objects: [] } });
        if (c.status !== 200) throw new Error(`complete: ${c.status} ${JSON.stringify(c.body)}`);
        latencies.push(performance.now() - t0);
        done++;
      }
    }));
    const seconds = (performance.now() - started) / 1000 - 0.5; // the last empty poll of each agent waited 0.5 s
    latencies.sort((a, b) => a - b);
    console.log(`hand-outs: ${agents} agents, ${jobs} jobs, poll + complete over HTTP`);
    figure('jobs_handouts_per_second', done / seconds, 'jobs/s', { agents, jobs: done });
    figure('jobs_poll_complete_p50_ms', percentile(latencies, 50), 'ms');
    figure('jobs_poll_complete_p99_ms', percentile(latencies, 99), 'ms');

    // 2. Concurrent long polls held by the one server process, as the server itself counts them.
    const gauge = async (name: string) => {
      const res = await request(`${server.url}/metrics`, { dispatcher: http });
      const m = new RegExp(`^${name} (\\d+)`, 'm').exec(await res.body.text());
      return m ? Number(m[1]) : NaN;
    };
    const before = await redisClients(redis.url);
    const statuses: Record<number, number> = {};
    let got = 0;
    const firstAnswers: number[] = [];
    let addedAt = 0;
    // Sent in waves of 250 every 250 ms (a fleet's polls do not all land in one millisecond).
    const waiting = Array.from({ length: polls }, (_, i) =>
      new Promise((r) => setTimeout(r, Math.floor(i / 250) * 250))
        .then(() => post(`${base}/poll`, { agentId: fleet[i % agents].opts.agentId, waitMs: 20_000 }))
        .then(
          (r) => {
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 200) {
              got++;
              if (addedAt) firstAnswers.push(performance.now() - addedAt);
            }
          },
          () => (statuses[0] = (statuses[0] ?? 0) + 1),
        ),
    );
    // The peak the server reports while the polls arrive and wait (each answers 20 s after it arrived).
    let peak = 0;
    let connectionsAtPeak = 0;
    let redisAtPeak = 0;
    const until = Date.now() + (polls / 250) * 250 + 15_000;
    while (Date.now() < until) {
      const w = await gauge('hm_agent_job_polls_waiting');
      if (w > peak) {
        peak = w;
        connectionsAtPeak = await gauge('hm_agent_job_blocking_connections');
        redisAtPeak = await redisClients(redis.url);
      }
      if (peak >= polls) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    addedAt = performance.now();
    await enqueue(100, 'wake');
    await Promise.all(waiting);
    firstAnswers.sort((a, b) => a - b);
    console.log(`long polls: ${polls} sent (250 every 250 ms) to one server process (20 s wait, no jobs), then 100 jobs added; answers by status ${JSON.stringify(statuses)}`);
    figure('jobs_long_polls_held_peak', peak, 'polls', { sent: polls, statuses });
    figure('jobs_long_poll_blocking_connections', connectionsAtPeak, 'connections', { polls: peak });
    figure('jobs_redis_clients_idle', before, 'connections', { note: 'every client of the Redis: server, its workers, the bench' });
    figure('jobs_redis_clients_at_peak', redisAtPeak, 'connections', { polls: peak });
    figure('jobs_wake_handed_out', got, 'jobs', { added: 100 });
    figure('jobs_wake_p50_ms', percentile(firstAnswers, 50), 'ms');
    figure('jobs_wake_max_ms', firstAnswers[firstAnswers.length - 1] ?? NaN, 'ms');
  } finally {
    await queues.close();
    conn.disconnect();
    await http.close();
    await server.stop();
    await redis.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function compactionPart() {
  const partitions = Number(process.env.HM_BENCH_COMPACT_PARTITIONS ?? 200);
  const filesPer = Number(process.env.HM_BENCH_COMPACT_FILES ?? 50);
  const cluster = {
    tenantId: 'tnt_bench', clusterId: 'vci_bench', regions: ['us-east-1'], buckets: [{ region: 'us-east-1', url: 's3://bench' }], writeQuorum: 1,
    autoCreateTopics: false, defaultPartitions: 1, defaultRetentionMs: 86_400_000, defaultRetentionBytes: -1, producerIdExpirationMs: 86_400_000, offsetsRetentionMs: 86_400_000,
    limits: { partitionsPerCluster: 100_000, maxRetentionMs: 86_400_000 },
  };
  const heap = () => {
    global.gc?.();
    global.gc?.();
    return process.memoryUsage().heapUsed;
  };
  const base = heap();
  const core = new ClusterCore();
  let now = 1_000;
  core.execute({ kind: 'createTopic', cluster, input: { name: 't', partitions } }, ++now);
  // The small-file workload: every file holds one 1 KiB batch for each of 8 partitions.
  const groups = partitions / 8;
  let n = 0;
  for (let round = 0; round < filesPer; round++) {
    for (let g = 0; g < groups; g++) {
      const fileId = `f-${n++}`;
      const batches = Array.from({ length: 8 }, (_, k) => ({ topic: 't', partition: g * 8 + k, byteOffset: k * 1024, byteLength: 1024, recordCount: 10, maxTimestamp: 1_700_000_000_000 }));
      core.execute({ kind: 'commitFile', cluster, commit: validateCommit({ fileId, objectKey: `segments/${fileId}`, sizeBytes: 8 * 1024, replicas: [{ region: 'us-east-1', bucket: 's3://bench', checksum: 'x' }], batches }, cluster) }, ++now);
    }
  }
  const filesBefore = core.state.files.size;
  const heapBefore = heap() - base;
  const started = performance.now();
  let swaps = 0;
  for (;;) {
    const cands = compactionCandidates(core.state, { ...DEFAULT_COMPACTION, minFiles: 4 }, 1000);
    if (cands.length === 0) break;
    for (const c of cands) {
      let at = 0;
      const batches = c.batches.map((b) => {
        const out = { baseOffset: b.baseOffset, lastOffset: b.lastOffset, inputFileId: b.fileId, inputByteOffset: b.byteOffset, byteOffset: at, byteLength: b.byteLength };
        at += b.byteLength;
        return out;
      });
      const fileId = `c-${swaps++}`;
      const result = { fileId, objectKey: `segments/${fileId}`, sizeBytes: at, replicas: [{ region: 'us-east-1', bucket: 's3://bench', checksum: 'c' }], segments: [{ topic: c.topic, partition: c.partition, batches }] };
      core.execute({ kind: 'compactionResult', cluster, result: validateCompactionResult(result, cluster) }, ++now);
    }
  }
  const swapMs = performance.now() - started;
  // The delete-files jobs' reports remove the old files' records.
  for (;;) {
    const due = listDueFiles(core.state, now + 1e9, 0, { limit: 1000 }).items.map((f) => f.fileId);
    if (due.length === 0) break;
    core.execute({ kind: 'filesDeleted', cluster, fileIds: due }, ++now);
  }
  const filesAfter = core.state.files.size;
  const heapAfter = heap() - base;
  console.log(`compaction: ${partitions} partitions, ${filesBefore} small files (8 partitions each, ${filesPer} per partition), ${swaps} compaction results applied`);
  figure('compaction_files_per_partition_before', (filesBefore * 8) / partitions, 'files');
  figure('compaction_files_per_partition_after', filesAfter / partitions, 'files');
  figure('compaction_heap_per_partition_before', heapBefore / partitions, 'bytes', { gc: Boolean(global.gc) });
  figure('compaction_heap_per_partition_after', heapAfter / partitions, 'bytes', { gc: Boolean(global.gc) });
  figure('compaction_swap_ms_per_result', swapMs / swaps, 'ms');
}

export async function run() {
  compactionPart();
  await httpPart();
}

runIfMain(import.meta, run);
