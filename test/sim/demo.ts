/**
 * `npm run demo`: the control plane on its embedded engines (a real `infra/server.ts` process on
 * a throwaway data directory), a tenant and a cluster, three reference agents (two producing,
 * one consuming), and one line a second with what is happening. Ctrl-C stops it all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../infra/local/free-port';
import { startFlags } from '../helpers/start-command';
import { ReferenceAgent } from './agent';
import { LocalBucket } from './bucket';
import { produceFile } from './producer';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TOPIC = 'orders';
const PARTITIONS = 6;
/** The demo cluster's one bucket: the agents' commits name it as their replica. */
const DEMO_BUCKET = 's3://demo-bucket/data';

async function api(base: string, method: string, url: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch(base + url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const out = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${out.detail ?? ''}`);
  return out;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-demo-'));
  const port = process.env.PORT ? Number(process.env.PORT) : await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, HM_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', HM_HEARTBEAT_INTERVAL_MS: '2000', HM_USAGE_FLUSH_MS: '10000', HM_USAGE_ROLLUP_EVERY_MS: '15000' };
  const server = spawn(process.execPath, [...startFlags(), '--import', 'tsx', 'infra/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErr = '';
  server.stderr!.on('data', (d) => (serverErr += d));
  const running: Promise<void>[] = [];
  let stopping = false;
  const agents: ReferenceAgent[] = [];

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping: agents deregister, the server drains and exits...\n');
    await Promise.allSettled(running);
    await Promise.allSettled(agents.map((a) => a.stop(true)));
    if (server.exitCode === null) {
      await new Promise((r) => {
        server.once('exit', r);
        server.kill('SIGINT');
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
    process.stdout.write('stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  server.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`demo: the server exited (${code}): ${serverErr.split('\n').filter((l) => !/AWS SDK|node >=22|a\.co|upgrade|continue|trace-warnings|^\s*$/.test(l)).join('\n')}\n`);
      void stop(1);
    }
  });

  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      // not up yet
    }
    if (stopping) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const admin = spawnSync(process.execPath, ['--import', 'tsx', 'infra/cli/admin-token.ts'], { cwd: ROOT, env, encoding: 'utf8' }).stdout.trim();
  const { apiKey, tenant } = await api(base, 'POST', '/admin/v1/tenants', admin, { name: 'Demo Co', tier: 'pro' });
  const key = apiKey.secret as string;
  const cluster = await api(base, 'POST', '/v1/clusters', key, { name: 'demo', regions: ['us-east-1'], storage: { buckets: [{ region: 'us-east-1', url: DEMO_BUCKET }], writeQuorum: 1 } });
  while ((await api(base, 'GET', `/v1/clusters/${cluster.id}`, key)).status !== 'ready') await new Promise((r) => setTimeout(r, 100));
  await api(base, 'POST', `/v1/clusters/${cluster.id}/topics`, key, { name: TOPIC, partitions: PARTITIONS });
  const agentKey = (await api(base, 'POST', `/v1/clusters/${cluster.id}/agent-keys`, key, { name: 'demo-agents', access: 'read-write' })).secret as string;

  console.log(`Harbormaster demo on ${base} (embedded engines, data in ${dataDir}, removed on exit)`);
  console.log(`  tenant ${tenant.id}, cluster ${cluster.id}, topic "${TOPIC}" with ${PARTITIONS} partitions`);
  console.log(`  API docs:       ${base}/docs`);
  console.log(`  queue console:  ${base}/admin/queues/ui  (sign in with: HM_DATA_DIR=${dataDir} npm run -s admin-token)`);
  console.log(`  usage:          curl -s "${base}/v1/usage?from=$(date -u +%F)&to=$(date -u -d tomorrow +%F)" -H "authorization: Bearer <the tenant's API key>"`);
  console.log('  Ctrl-C stops everything.\n');

  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  for (let i = 0; i < 3; i++) {
    const a = new ReferenceAgent({ baseUrl: base, agentKey, agentId: `demo-agent-${i + 1}`, zone: zones[i], advertisedAddress: `10.0.${i}.10:9092` });
    await a.start(() => ({ openConnections: 5 + i, cpuPercent: 20 + 5 * i }));
    agents.push(a);
  }
  const bucket = new LocalBucket(path.join(dataDir, 'bucket'), 'us-east-1', DEMO_BUCKET);
  let commits = 0;
  let records = 0;
  const consumed = new Array<number>(PARTITIONS).fill(0);

  const produce = async (agent: ReferenceAgent) => {
    while (!stopping) {
      const parts = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({ topic: TOPIC, partition: Math.floor(Math.random() * PARTITIONS), records: 1 + Math.floor(Math.random() * 50) }));
      const unique = [...new Map(parts.map((p) => [p.partition, p])).values()];
      try {
        await produceFile(agent, bucket, unique);
        commits++;
        records += unique.reduce((s, p) => s + p.records, 0);
      } catch {
        // a retryable refusal; the next file tries again
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  };
  const consume = async (agent: ReferenceAgent) => {
    while (!stopping) {
      try {
        // A modest reader: about 4 KB per partition every half second.
        const plan = await agent.fetchPlan({ partitions: consumed.map((offset, partition) => ({ topic: TOPIC, partition, offset, maxBytes: 4096 })), maxBytes: 24 * 1024 });
        for (const p of plan.partitions) {
          const last = p.batches.at(-1);
          if (last) consumed[p.partition] = last.lastOffset + 1;
        }
      } catch {
        // try again on the next turn
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  running.push(produce(agents[0]), produce(agents[1]), consume(agents[2]));

  let lastCommits = 0;
  const ticker = setInterval(async () => {
    if (stopping) return clearInterval(ticker);
    const perSecond = commits - lastCommits;
    lastCommits = commits;
    let live = 0;
    let lag = 0;
    try {
      live = (await api(base, 'GET', `/v1/clusters/${cluster.id}/agents`, key)).items.filter((a: { state: string }) => a.state === 'live').length;
      // Consumer groups are not built yet: lag is the latest offsets (list-offsets) minus the consumer's position.
      const latest = await agents[2].listOffsets({ partitions: consumed.map((_, partition) => ({ topic: TOPIC, partition, timestamp: -1 })) });
      lag = latest.partitions.reduce((s: number, p: { partition: number; offset: number }) => s + Math.max(0, p.offset - consumed[p.partition]), 0);
    } catch {
      // the line shows 0 until the next second
    }
    const time = new Date().toISOString().slice(11, 19);
    process.stdout.write(`${time}  commits/s ${String(perSecond).padStart(3)}  records ${records.toLocaleString('en-US').padStart(9)}  consumer lag ${String(lag).padStart(5)}  agents live ${live}/${agents.length}\n`);
  }, 1000);
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
});
