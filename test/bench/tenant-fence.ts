/**
 * What the in-process tenant fence costs on the hot agent paths. Two servers run side by side
 * as their own processes: one as shipped (every store request on a tenant's items goes through
 * the tenant's view and is checked against its session policy) and one whose stores skip the
 * views (test/bench/unfenced.ts). Heartbeats (autocannon) and HTTP commits
 * alternate between them round by round; the added latency is the difference of medians.
 * A micro-benchmark gives the check's own cost per store request.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { DynamoDBClient, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ReferenceAgent, TokenSource } from '../sim/agent';
import { Db } from '../../shared/dynamo';
import { tenantFence } from '../../shared/tenant-fence';
import { startServer, type Proc } from './processes';
import { eventually, startHarness } from '../helpers/harness';
import { cpuSeconds, figure, percentile } from './report';
import { BENCH_BUCKET, benchCluster, call, runIfMain } from './setup';

const STATS = { bytesIn: 1_048_576, bytesOut: 2_097_152, requests: 1200, openConnections: 35, cpuPercent: 41.5, memoryBytes: 734_003_200, lagMs: 12 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (fenced: number, unfenced: number) => (fenced / unfenced - 1) * 100;

interface Target {
  name: 'fenced' | 'unfenced';
  server: Proc;
  clusterId: string;
  token: string;
  agents: ReferenceAgent[];
}

async function prepare(name: Target['name'], dataDir: string, nodeArgs: string[]): Promise<Target> {
  const server = await startServer(dataDir, {}, nodeArgs);
  const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
  await call(`${server.url}/v1/clusters/${clusterId}/topics`, 'POST', key, { name: 'bench', partitions: 1000 });
  const tokens = new TokenSource(server.url, agentKey);
  const agents = Array.from({ length: 64 }, (_, i) => new ReferenceAgent({ baseUrl: server.url, agentKey, agentId: `f-${i}`, zone: `us-east-1${'abc'[i % 3]}`, tokenSource: tokens }));
  for (const a of agents) await a.register();
  return { name, server, clusterId, token: (await tokens.get()).accessToken, agents };
}

/** Runs `load` and adds the server's CPU time per request (µs) to what it measured. */
async function withCpu<R extends { rate: number }>(t: Target, seconds: number, load: () => Promise<R>) {
  const before = cpuSeconds(t.server.child.pid!);
  const out = await load();
  return { ...out, cpuUs: ((cpuSeconds(t.server.child.pid!) - before) / (out.rate * seconds)) * 1e6 };
}

async function heartbeats(t: Target, seconds: number) {
  const body = JSON.stringify({ stats: STATS });
  let n = 0;
  const r = await autocannon({
    url: t.server.url,
    connections: 32,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` }, body, setupRequest: (req) => ({ ...req, path: `/agent/v1/clusters/${t.clusterId}/agents/f-${n++ % t.agents.length}/heartbeat` }) }],
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`heartbeats on ${t.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rate: r.requests.average, p50: r.latency.p50, mean: r.latency.average };
}

function commitBody() {
  const first = Math.floor(Math.random() * 990);
  const batches = Array.from({ length: 20 }, (_, i) => ({ topic: 'bench', partition: first + (i % 10), byteOffset: i * 4096, byteLength: 4096, recordCount: 50, maxTimestamp: Date.now() }));
  const fileId = randomUUID();
  return { fileId, objectKey: `segments/${fileId}`, sizeBytes: 20 * 4096, replicas: [{ region: 'us-east-1', bucket: BENCH_BUCKET, checksum: 'x' }], batches };
}

async function commits(t: Target, seconds: number, concurrency = 16) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    t.agents.slice(0, concurrency).map(async (a) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await a.commitFile(commitBody());
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 50), mean: latencies.reduce((s, x) => s + x, 0) / latencies.length };
}

/** The fence's own work for one store request: the tenant view, reading the command, the policy check. */
async function microbench() {
  const tenant = 'tnt_01jd4v7m2q8x3k5n6p7r8s9t0a';
  // A base client that answers at once, so only the fence's work is timed.
  const base = { send: () => Promise.resolve({}) } as unknown as DynamoDBClient;
  const db = new Db(base, { tenants: tenantFence({ base, tables: ['hm-control', 'hm-metadata'] }) });
  const journal = new PutItemCommand({ TableName: 'hm-metadata', Item: marshall({ pk: `T#${tenant}#C#vci_x`, sk: 'J#000000000001', epoch: 1 }), ConditionExpression: 'attribute_not_exists(sk)' });
  const read = new GetItemCommand({ TableName: 'hm-control', Key: marshall({ pk: `T#${tenant}`, sk: 'CLUSTER#vci_x' }), ConsistentRead: true });
  const time = async (d: Db, n: number) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      await d.forTenant(tenant).client.send(journal);
      await d.forTenant(tenant).client.send(read);
    }
    return Number(process.hrtime.bigint() - t0) / (2 * n);
  };
  const plain = new Db(base);
  await time(db, 50_000);
  await time(plain, 50_000);
  const fenced = await time(db, 300_000);
  const unfenced = await time(plain, 300_000);
  return fenced - unfenced;
}

/**
 * How many store requests go through a tenant's fence per heartbeat and per commit, counted
 * in-process on the real routes (a harness on loopback, driven by reference agents).
 */
async function fencedRequestsPerOperation(beats: number, commitCount: number) {
  let sends = 0;
  const original = Db.prototype.forTenant;
  Db.prototype.forTenant = function (this: Db, tenantId: string) {
    const client = original.call(this, tenantId).client;
    return new Db({ send: (c: never, ...r: never[]) => (sends++, client.send(c, ...r)) } as unknown as DynamoDBClient);
  };
  const h = await startHarness();
  try {
    const url = await h.listen();
    const { key } = await h.createTenant('pro', 'Fence Count');
    const c = await h.request('POST', '/v1/clusters', { token: key, body: { name: 'count', regions: ['us-east-1'], storage: { buckets: [{ region: 'us-east-1', url: 's3://bench-count/data' }], writeQuorum: 1 } } });
    if (c.status !== 202) throw new Error(`cluster: ${c.text}`);
    await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready', 30_000);
    await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 'bench', partitions: 1000 } });
    const ak = await h.request('POST', `/v1/clusters/${c.body.id}/agent-keys`, { token: key, body: { name: 'k', access: 'read-write' } });
    const tokens = new TokenSource(url, ak.body.secret);
    const agents = Array.from({ length: 32 }, (_, i) => new ReferenceAgent({ baseUrl: url, agentKey: ak.body.secret, agentId: `n-${i}`, tokenSource: tokens }));
    for (const a of agents) await a.register();
    await agents[0].commitFile(commitBody());
    const measure = async (n: number, each: (a: ReferenceAgent) => Promise<unknown>) => {
      let next = 0;
      const before = sends;
      const t0 = performance.now();
      await Promise.all(agents.slice(0, 16).map(async (a) => {
        while (next++ < n) await each(a);
      }));
      return { perOp: (sends - before) / n, meanMs: (performance.now() - t0) / (n / 16) };
    };
    const hb = await measure(beats, (a) => a.heartbeat({ openConnections: 1 }));
    const cm = await measure(commitCount, (a) => a.commitFile(commitBody()));
    return { heartbeat: hb, commit: cm };
  } finally {
    Db.prototype.forTenant = original;
    await h.close();
  }
}

export async function run(rounds = Number(process.env.HM_BENCH_ROUNDS ?? 5), seconds = Number(process.env.HM_BENCH_SECONDS ?? 4)) {
  const dirs = [mkdtempSync(path.join(os.tmpdir(), 'hm-bench-fence-')), mkdtempSync(path.join(os.tmpdir(), 'hm-bench-nofence-'))];
  const targets: Target[] = [];
  try {
    targets.push(await prepare('fenced', dirs[0], []));
    targets.push(await prepare('unfenced', dirs[1], ['--import', path.join(import.meta.dirname, 'unfenced.ts')]));
    const ns = await microbench();
    figure('tenant_fence_check_ns_per_store_request', ns, 'ns', { note: 'tenant view + reading the command + policy check, in-process, against a client that answers at once' });
    const counts = await fencedRequestsPerOperation(5000, 2000);
    for (const [name, c] of Object.entries(counts)) {
      const addedUs = (c.perOp * ns) / 1000;
      figure(`${name}_fenced_store_requests_per_operation`, c.perOp, 'requests', { note: 'counted in-process on the real routes, 16 agents' });
      const pctAdded = (addedUs / (c.meanMs * 1000)) * 100;
      figure(`${name}_fence_check_added_latency_us`, addedUs, 'µs', { pct: Number(pctAdded.toPrecision(2)), target: '<= 2 %', operationMeanMs: Number(c.meanMs.toFixed(3)) });
    }

    console.log(`end to end, fenced vs unfenced server side by side (${rounds} interleaved rounds of ${seconds} s each)`);
    console.log('  heartbeats run identical code on both in steady state (no store request per beat): their difference is this run\'s noise floor');
    const hb: Record<Target['name'], (Awaited<ReturnType<typeof heartbeats>> & { cpuUs: number })[]> = { fenced: [], unfenced: [] };
    for (const t of targets) await heartbeats(t, 1);
    for (let r = 0; r < rounds; r++) for (const t of r % 2 ? [...targets].reverse() : targets) hb[t.name].push(await withCpu(t, seconds, () => heartbeats(t, seconds)));
    const cm: Record<Target['name'], (Awaited<ReturnType<typeof commits>> & { cpuUs: number })[]> = { fenced: [], unfenced: [] };
    for (const t of targets) await commits(t, 1);
    for (let r = 0; r < rounds; r++) for (const t of r % 2 ? [...targets].reverse() : targets) cm[t.name].push(await withCpu(t, seconds, () => commits(t, seconds)));

    for (const [path, data] of [['heartbeat', hb], ['commit', cm]] as const) {
      const summary = (xs: typeof data.fenced) => ({ rate: median(xs.map((x) => x.rate)), mean: median(xs.map((x) => x.mean)), p50: median(xs.map((x) => x.p50)), cpuUs: median(xs.map((x) => x.cpuUs)) });
      const f = summary(data.fenced);
      const u = summary(data.unfenced);
      figure(`${path}_rps_fenced`, f.rate, 'req/s', { rounds: data.fenced.map((x) => Math.round(x.rate)) });
      figure(`${path}_rps_unfenced`, u.rate, 'req/s', { rounds: data.unfenced.map((x) => Math.round(x.rate)) });
      figure(`${path}_fence_added_cpu_pct`, pct(f.cpuUs, u.cpuUs), '%', { target: '<= 2', cpuUsPerRequest: { fenced: Number(f.cpuUs.toFixed(1)), unfenced: Number(u.cpuUs.toFixed(1)) }, perRound: data.fenced.map((x, i) => Number(pct(x.cpuUs, data.unfenced[i].cpuUs).toFixed(2))) });
      figure(`${path}_fence_added_latency_pct`, pct(f.mean, u.mean), '%', { target: '<= 2', meanMs: { fenced: Number(f.mean.toFixed(3)), unfenced: Number(u.mean.toFixed(3)) }, p50Ms: { fenced: f.p50, unfenced: u.p50 }, perRound: data.fenced.map((x, i) => Number(pct(x.mean, data.unfenced[i].mean).toFixed(2))) });
    }
  } finally {
    for (const t of targets) await t.server.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
