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
import { startServer } from './processes';
import { figure, percentile } from './report';
import { BENCH_BUCKET, benchCluster, call, runIfMain } from './setup';

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
 * Each level runs against the server with its embedded store in process (the default) and in
 * a child process of its own (HM_EMBEDDED_STORE=child), one after the other in this run;
 * `HM_BENCH_STORE_MODES` narrows that (`in-process`, `child`).
 */
export async function run(levels = (process.env.HM_BENCH_LEVELS ?? '1,16,64,256').split(',').map(Number), seconds = Number(process.env.HM_BENCH_SECONDS ?? 6)) {
  for (const mode of (process.env.HM_BENCH_STORE_MODES ?? 'in-process,child').split(',')) await runMode(mode, levels, seconds);
}

async function runMode(mode: string, levels: number[], seconds: number) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-commit-'));
  const server = await startServer(dataDir, { HM_EMBEDDED_STORE: mode });
  const suffix = mode === 'in-process' ? '' : `_store_${mode}`;
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
    await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'bench', partitions: PARTITIONS });
    const tokens = new TokenSource(server.url, agentKey);
    console.log(`commits through HTTP (20 batches over 10 of 1,000 partitions per file), embedded store ${mode}`);
    for (const level of levels) {
      const agents = Array.from({ length: level }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `c${i}`, tokenSource: tokens }));
      const latencies: number[] = [];
      let errors = 0;
      const deadline = performance.now() + seconds * 1000;
      await Promise.all(
        agents.map(async (a) => {
          while (performance.now() < deadline) {
            const t0 = performance.now();
            try {
              await a.commitFile(commitBody());
              latencies.push(performance.now() - t0);
            } catch {
              errors++;
            }
          }
        }),
      );
      latencies.sort((x, y) => x - y);
      figure(`http_commits_per_second_c${level}${suffix}`, latencies.length / seconds, 'commits/s', { concurrency: level, errors, store: mode });
      figure(`http_commit_p50_ms_c${level}${suffix}`, percentile(latencies, 50), 'ms', { concurrency: level, store: mode });
      figure(`http_commit_p99_ms_c${level}${suffix}`, percentile(latencies, 99), 'ms', { concurrency: level, store: mode });
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
