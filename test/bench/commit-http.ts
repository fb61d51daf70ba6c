/**
 * Commit throughput and latency through HTTP: the real server as its own process, N
 * concurrent reference agents each committing files of 20 batches over 10 of 1,000
 * partitions (the same shape as the service-level benchmark), for a few seconds per level.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import type { Encoding } from '../sim/regional-client';
import { startTestDynamo } from '../helpers/dynamo';
import { startServer, type Proc } from './processes';
import { childPids, cpuSeconds, figure, percentile } from './report';
import { commitLoad, createTopics, cluster as benchRef, node } from './sequencer';
import { BENCH_BUCKET, benchCluster, benchEngine, call, runIfMain } from './setup';

export const PARTITIONS = 1000;


export function commitBody() {
  const first = Math.floor(Math.random() * (PARTITIONS - 10));
  const batches = Array.from({ length: 20 }, (_, i) => ({
    topic: 'bench',
    partition: first + (i % 10),
    byteOffset: i * 4096,
    byteLength: 4096,
    recordCount: 50,
    maxTimestamp: Date.now(),
  }));
  const fileId = randomUUID();
  return { fileId, objectKey: `segments/${fileId}`, sizeBytes: 20 * 4096, replicas: [{ region: 'us-east-1', bucket: BENCH_BUCKET, checksum: 'x' }], batches };
}

/**
 * HM_BENCH_FILES_PER_REQUEST (default `1,4`) adds levels whose agents send several files per
 * request (POST …/files/batch); their figures count files, and their latency is the request's.
 * Each level runs against the server with its embedded store in process (the default: called
 * directly), in process over its loopback HTTP listener (HM_EMBEDDED_STORE=in-process-http) and in
 * a child process of its own (HM_EMBEDDED_STORE=child), one after the other in this run, with
 * the agents speaking JSON and then MessagePack; `HM_BENCH_STORE_MODES` (`in-process`, `in-process-http`, `child`)
 * and `HM_BENCH_ENCODINGS` (`json`, `msgpack`) narrow that. Then the service API alone at the
 * same concurrency, in this process, so that the HTTP ÷ service-API ratio comes from one run.
 * Server CPU per commit (the server process and its children: store, redis-server) says what a
 * commit costs whatever else the machine is doing.
 */
export async function run(levels = (process.env.HM_BENCH_LEVELS ?? '1,16,64,256').split(',').map(Number), seconds = Number(process.env.HM_BENCH_SECONDS ?? 6)) {
  const encodings = (process.env.HM_BENCH_ENCODINGS ?? 'json,msgpack').split(',') as Encoding[];
  const http: { name: string; level: number; perSecond: number }[] = [];
  for (const mode of (process.env.HM_BENCH_STORE_MODES ?? 'in-process,in-process-http,child').split(',')) http.push(...(await runMode(mode, encodings, levels, seconds)));
  if (process.env.HM_BENCH_SERVICE_API === '0') return;
  console.log(`the same commits through the service API alone, in this process (${benchEngine()}), as the sequencer bench runs them`);
  const d = await startTestDynamo({ prefix: 'bench-' });
  try {
    const leader = node(d, 'bench-node');
    for (const level of [...new Set(levels)]) {
      const ref = benchRef(`vci_service_${level}`);
      await createTopics(leader, ref);
      await commitLoad(leader, ref, level, 500); // warm-up
      const r = await commitLoad(leader, ref, level, seconds * 1000);
      figure(`service_api_commits_per_second_c${level}`, r.perSecond, 'commits/s', { concurrency: level, p99_ms: r.p99, engine: benchEngine() });
      for (const h of http.filter((x) => x.level === level)) figure(`ratio_${h.name}_to_service_api_c${level}`, h.perSecond / r.perSecond, 'x', { concurrency: level });
    }
    await leader.close();
  } finally {
    await d.close();
  }
}

/** CPU seconds of the server and its child processes (embedded store, redis-server). */
const serverCpu = (server: Proc) => [server.child.pid!, ...childPids(server.child.pid!)].reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0);

async function runMode(mode: string, encodings: Encoding[], levels: number[], seconds: number) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-commit-'));
  const server = await startServer(dataDir, { HM_EMBEDDED_STORE: mode });
  const out: { name: string; level: number; perSecond: number }[] = [];
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
    await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'bench', partitions: PARTITIONS });
    const tokens = new TokenSource(server.url, agentKey);
    // The server warms up first, both encodings at once and uncounted: measured from cold, the
    // first figure of a run came out at about half the second's whichever encoding it was
    // (JIT tiering is slow on a loaded 2-core machine; seconds of warm-up per level were not enough).
    const warmers = Array.from({ length: 64 }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `w${i}`, tokenSource: tokens, encoding: encodings[i % encodings.length] }));
    const warmUntil = performance.now() + Number(process.env.HM_BENCH_WARMUP_SECONDS ?? 8) * 1000;
    await Promise.all(warmers.map(async (a) => {
      while (performance.now() < warmUntil) await a.commitFile(commitBody()).catch(() => undefined);
    }));
    const perRequest = (process.env.HM_BENCH_FILES_PER_REQUEST ?? '1,4').split(',').map(Number);
    for (const encoding of encodings) for (const files of perRequest) {
      // The JSON single-file figures keep their names from before MessagePack and multi-file requests.
      const suffix = `${mode === 'in-process' ? '' : `_store_${mode}`}${encoding === 'json' ? '' : `_${encoding}`}${files === 1 ? '' : `_files${files}`}`;
      const shape = files === 1 ? 'one file per request' : `${files} files per request (POST …/files/batch), figures per file`;
      console.log(`commits through HTTP (20 batches over 10 of 1,000 partitions per file), ${shape}, embedded store ${mode}, ${encoding}`);
      const commit = (a: ReferenceAgent) => (files === 1 ? a.commitFile(commitBody()) : a.commitFiles(Array.from({ length: files }, commitBody)));
      for (const level of levels) {
        const agents = Array.from({ length: level }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `c${i}`, tokenSource: tokens, encoding }));
        const latencies: number[] = [];
        let errors = 0;
        const load = (ms: number, record: boolean) => {
          const deadline = performance.now() + ms;
          return Promise.all(
            agents.map(async (a) => {
              while (performance.now() < deadline) {
                const t0 = performance.now();
                try {
                  const answer = await commit(a);
                  // A multi-file answer is 200 with a status per file: refused files are errors too.
                  if (record && files > 1) errors += (answer as { files: { status: number }[] }).files.filter((f) => f.status !== 200).length;
                  if (record) latencies.push(performance.now() - t0);
                } catch {
                  if (record) errors++;
                }
              }
            }),
          );
        };
        // Warm-up, not counted (the server as a whole was warmed before the first level).
        await load(1000, false);
        const cpu0 = serverCpu(server);
        const client0 = process.cpuUsage();
        await load(seconds * 1000, true);
        const committed = latencies.length * files;
        const serverUs = ((serverCpu(server) - cpu0) * 1e6) / Math.max(1, committed);
        const client = process.cpuUsage(client0);
        const clientUs = (client.user + client.system) / Math.max(1, committed);
        latencies.sort((x, y) => x - y);
        const perSecond = committed / seconds;
        out.push({ name: `http${suffix}`, level, perSecond });
        figure(`http_commits_per_second_c${level}${suffix}`, perSecond, 'commits/s', { concurrency: level, errors, store: mode, encoding, files });
        // Latency is per request: each of its files is acknowledged when the request answers.
        figure(`http_commit_p50_ms_c${level}${suffix}`, percentile(latencies, 50), 'ms', { concurrency: level, store: mode, encoding, files });
        figure(`http_commit_p99_ms_c${level}${suffix}`, percentile(latencies, 99), 'ms', { concurrency: level, store: mode, encoding, files });
        figure(`http_commit_server_cpu_us_c${level}${suffix}`, serverUs, 'µs/commit', { concurrency: level, store: mode, encoding });
        figure(`http_commit_client_cpu_us_c${level}${suffix}`, clientUs, 'µs/commit', { concurrency: level, store: mode, encoding });
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return out;
}

runIfMain(import.meta, () => run());
