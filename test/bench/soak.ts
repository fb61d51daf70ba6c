/**
 * Mixed soak: a fleet of agents heartbeating every second (default 500) and committers
 * committing files nonstop (default 8), against one server process, for HM_SOAK_MINUTES
 * (default 30). Every minute it prints heartbeat p50/p99 as the agents see them, commit
 * p50/p99, the server's RSS and heap, what the store holds on disk, and Redis's memory and
 * keys, so that whatever grows with history (instead of with live data) shows. At the end:
 * heartbeat p99 of the last 10 minutes over the first 10 (a third each for short runs).
 * The topic keeps HM_SOAK_RETENTION_MS (default 2 minutes) and a job agent runs the deletion
 * jobs the planner hands out (on a local directory standing for the bucket), so that the live
 * data levels off and whatever still grows grows with history. Runs only when named:
 * `npm run bench -- soak`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { startFleet } from '../sim/fleet';
import { JobRunner } from '../sim/job-runner';
import { RegionBuckets } from '../sim/region-buckets';
import { startDynaliteChild, type EmbeddedDynamo } from '../../infra/local/dynalite';
import { startServer } from './processes';
import { printBreakdown, storeBreakdown } from './store-breakdown';
import { printRedisBreakdown, redisBreakdown } from './redis-breakdown';
import { startWriteCounter } from './write-counter';
import { commitBody, PARTITIONS } from './commit-http';
import { childPids, figure, percentile, processName } from './report';
import { BENCH_BUCKET, benchCluster, call, runIfMain } from './setup';

const minutes = Number(process.env.HM_SOAK_MINUTES ?? 30);
const fleetSize = Number(process.env.HM_SOAK_AGENTS ?? 500);
const committers = Number(process.env.HM_SOAK_COMMITTERS ?? 8);
const minuteMs = Number(process.env.HM_SOAK_MINUTE_MS ?? 60_000);
const retentionMs = Number(process.env.HM_SOAK_RETENTION_MS ?? 120_000);
/** Each committer commits a file at most this often (an agent flushing every 40 ms); 0 = flat out. */
const commitEveryMs = Number(process.env.HM_SOAK_COMMIT_EVERY_MS ?? 40);
/** Counts the items written, by key kind, through a proxy in front of a store process of the bench's own. */
const countWrites = process.env.HM_SOAK_COUNT_WRITES === '1';

/**
 * Resident set of a process (bytes), from /proc: all of it, or its anonymous part (`RssAnon`).
 * The embedded LevelDB maps its table files, which shows as file-backed resident pages that the
 * kernel takes back under pressure; anonymous memory is what a leak would grow.
 */
function rssBytes(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Bytes under a directory (the embedded store's LevelDB files). */
function diskBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split(/\s/)[0]);
}

/** A gauge from the server's Prometheus text. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** The port the server's private redis-server listens on, from its command line. */
function redisPort(serverPid: number): number | undefined {
  const pid = childPids(serverPid).find((p) => /redis/.test(processName(p)));
  if (!pid) return undefined;
  const m = /:(\d+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

export async function run() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-soak-'));
  // Maintenance (retention, job planning) every 10 s and expired files deletable after a minute
  // (HM_SOAK_DELETE_GRACE_MS), so that they leave within the run.
  let store: EmbeddedDynamo | null = null;
  const counter = countWrites ? await startWriteCounter((store = await startDynaliteChild(path.join(dataDir, 'dynamodb')))!.endpoint) : undefined;
  const server = await startServer(dataDir, { ...(counter ? { DYNAMODB_ENDPOINT: counter.endpoint } : {}), HM_HEARTBEAT_INTERVAL_MS: '1000', HM_MAINTENANCE_EVERY_MS: '10000', HM_FILE_DELETE_GRACE_MS: process.env.HM_SOAK_DELETE_GRACE_MS ?? '60000' });
  const port = redisPort(server.child.pid!);
  const redis = port ? new Redis({ port, host: '127.0.0.1', lazyConnect: false }) : undefined;
  let stopping = false;
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'enterprise', limitOverrides: { agentsPerCluster: fleetSize + 100 } });
    await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'bench', partitions: PARTITIONS, config: { 'retention.ms': retentionMs } });
    console.log(`mixed soak: ${fleetSize} agents at the server's 1 s interval, ${committers} committers (one file each per ${commitEveryMs} ms at most), ${minutes} minutes, retention ${retentionMs / 1000} s`);
    const fleet = await startFleet({ baseUrl: server.url, agentKey, count: fleetSize, stats: () => ({ openConnections: 3, cpuPercent: 20 }) });
    const tokens = new TokenSource(server.url, agentKey);
    // The deletion jobs' agent: commits name objects that were never written, so deleting them is a no-op.
    const jobs = new JobRunner(new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: 'soak-jobs', region: 'us-east-1', zone: 'us-east-1a', tokenSource: tokens }), new RegionBuckets(path.join(dataDir, 'bucket'), [{ region: 'us-east-1', url: BENCH_BUCKET }]));
    await jobs.agent.start();
    jobs.start(2000);
    let commitLat: number[] = [];
    let commitErrors = 0;
    const writers = Array.from({ length: committers }, async (_, i) => {
      const a = new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `soak-c${i}`, tokenSource: tokens });
      while (!stopping) {
        const t0 = performance.now();
        try {
          await a.commitFile(commitBody());
          const took = performance.now() - t0;
          commitLat.push(took);
          if (commitEveryMs > took) await new Promise((r) => setTimeout(r, commitEveryMs - took));
        } catch {
          commitErrors++;
        }
      }
    });
    fleet.resetStats();
    const perMinute: { minute: number; hbP50: number; hbP99: number; hbErrors: number; commits: number; commitP50: number; commitP99: number; rssMb: number; anonMb: number; heapMb: number; externalMb: number; storeMb: number; redisMb: number; redisKeys: number }[] = [];
    for (let minute = 1; minute <= minutes; minute++) {
      await new Promise((r) => setTimeout(r, minuteMs));
      const hb = fleet.latencies();
      const hbErrors = fleet.errors();
      fleet.resetStats();
      const cl = commitLat.sort((a, b) => a - b);
      commitLat = [];
      const info = redis ? await redis.info('memory') : '';
      const row = {
        minute,
        hbP50: percentile(hb, 50),
        hbP99: percentile(hb, 99),
        hbErrors,
        commits: cl.length,
        commitP50: percentile(cl, 50),
        commitP99: percentile(cl, 99),
        rssMb: rssBytes(server.child.pid!) / 2 ** 20,
        anonMb: rssBytes(server.child.pid!, 'RssAnon') / 2 ** 20,
        heapMb: (await metric(server.url, 'nodejs_heap_size_used_bytes')) / 2 ** 20,
        externalMb: (await metric(server.url, 'nodejs_external_memory_bytes')) / 2 ** 20,
        storeMb: diskBytes(path.join(dataDir, 'dynamodb')) / 2 ** 20,
        redisMb: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN) / 2 ** 20,
        redisKeys: redis ? await redis.dbsize() : NaN,
      };
      perMinute.push(row);
      const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));
      console.log(
        `  min ${minute}: heartbeat p50 ${f(row.hbP50)} / p99 ${f(row.hbP99)} ms (${hb.length} beats, ${hbErrors} errors); commits ${cl.length} p50 ${f(row.commitP50)} / p99 ${f(row.commitP99)} ms (${commitErrors} errors); deletion jobs done ${JSON.stringify(jobs.stats.done)}; ` +
          `server RSS ${f(row.rssMb)} MB (anonymous ${f(row.anonMb)}) heap ${f(row.heapMb)} MB external ${f(row.externalMb)} MB; store ${f(row.storeMb)} MB on disk; redis ${f(row.redisMb)} MB, ${row.redisKeys} keys`,
      );
      console.log(JSON.stringify({ bench: 'soak_minute', ...row }));
      if (counter) {
        for (const c of counter.counts().slice(0, 8)) console.log(`    written: ${c.table} ${c.kind}: ${c.puts} puts, ${c.updates} updates, ${c.deletes} deletes, ${(c.bytes / 2 ** 20).toFixed(2)} MB`);
        counter.reset();
      }
    }
    // What Redis holds at the end, by key shape: history shows as a shape with many keys.
    if (redis) printRedisBreakdown(await redisBreakdown(redis));
    stopping = true;
    await Promise.all(writers);
    await fleet.stop();
    await jobs.stop();
    await jobs.agent.stop();
    console.log(`deletion jobs: ${JSON.stringify(jobs.stats)}`);
    // First and last 10 minutes (a third each when the run is shorter than 30).
    const span = Math.max(1, Math.min(10, Math.floor(perMinute.length / 3)));
    const mean = (rows: typeof perMinute) => rows.reduce((s, r) => s + r.hbP99, 0) / rows.length;
    const first = mean(perMinute.slice(0, span));
    const last = mean(perMinute.slice(-span));
    figure('soak_heartbeat_p99_first_ms', first, 'ms', { minutes: span });
    figure('soak_heartbeat_p99_last_ms', last, 'ms', { minutes: span });
    figure('soak_heartbeat_p99_last_to_first', last / first, 'ratio', { target: '<= 1.5', minutes, agents: fleetSize, committers, commitErrors });
    if (perMinute.length > 1) {
      const [a, z] = [perMinute[0], perMinute[perMinute.length - 1]];
      figure('soak_redis_mb_per_minute', (z.redisMb - a.redisMb) / (z.minute - a.minute), 'MB/min', { first: Math.round(a.redisMb), last: Math.round(z.redisMb), keys: z.redisKeys });
    }
    const meanOf = (rows: typeof perMinute, k: 'anonMb' | 'heapMb' | 'storeMb' | 'redisMb') => rows.reduce((sum, r) => sum + r[k], 0) / rows.length;
    for (const k of ['anonMb', 'heapMb', 'storeMb', 'redisMb'] as const) {
      figure(`soak_${k.replace('Mb', '')}_mb_first_to_last`, meanOf(perMinute.slice(-span), k) / meanOf(perMinute.slice(0, span), k), 'ratio', {
        first: Math.round(meanOf(perMinute.slice(0, span), k)),
        last: Math.round(meanOf(perMinute.slice(-span), k)),
      });
    }
  } finally {
    stopping = true;
    redis?.disconnect();
    await server.stop();
    await counter?.close();
    await store?.close();
    const diskMb = diskBytes(path.join(dataDir, 'dynamodb')) / 2 ** 20;
    const rows = await storeBreakdown(path.join(dataDir, 'dynamodb'));
    printBreakdown(rows);
    const liveMb = rows.reduce((s, r) => s + r.bytes, 0) / 2 ** 20;
    figure('soak_store_disk_to_item_bytes', diskMb / liveMb, 'ratio', { diskMb: Math.round(diskMb), itemMb: Math.round(liveMb) });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
