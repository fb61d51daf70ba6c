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

const PARTITIONS = 1000;


function commitBody() {
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

export async function run(levels = (process.env.HM_BENCH_LEVELS ?? '1,16,64,256').split(',').map(Number), seconds = Number(process.env.HM_BENCH_SECONDS ?? 6)) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-commit-'));
  const server = await startServer(dataDir);
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
    await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'bench', partitions: PARTITIONS });
    const tokens = new TokenSource(server.url, agentKey);
    console.log('commits through HTTP (20 batches over 10 of 1,000 partitions per file)');
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
      figure(`http_commits_per_second_c${level}`, latencies.length / seconds, 'commits/s', { concurrency: level, errors });
      figure(`http_commit_p50_ms_c${level}`, percentile(latencies, 50), 'ms', { concurrency: level });
      figure(`http_commit_p99_ms_c${level}`, percentile(latencies, 99), 'ms', { concurrency: level });
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
