/**
 * Token exchanges per second: by agent key versus by STS workload identity. The server runs
 * as its own process; the STS stand-in answers on loopback in this process (it verifies each
 * forwarded signature, as STS would, remotely). Identity requests are signed before each round
 * (a signature is good once), so the agents' signing cost is not in the figure; rounds
 * alternate between the two kinds so that drift hits both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { startStsStandIn } from '../sim/sts';
import { identitySigner, type SignedIdentityRequest } from '../sim/agent-identity';
import { startServer } from './processes';
import { figure, percentile } from './report';
import { benchCluster, call, runIfMain } from './setup';

const ROLE = 'arn:aws:iam::123456789012:role/warp-agents-bench';
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

async function round(url: string, concurrency: number, seconds: number, next: () => { headers: Record<string, string>; body?: string } | undefined) {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        if (performance.now() >= deadline) return;
        const req = next();
        if (!req) return;
        const t0 = performance.now();
        const res = await request(`${url}/agent/v1/token`, { method: 'POST', dispatcher, headers: req.headers, body: req.body });
        await res.body.text();
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

export async function run(seconds = Number(process.env.HM_BENCH_SECONDS ?? 5), concurrency = Number(process.env.HM_BENCH_CONCURRENCY ?? 16)) {
  const sts = await startStsStandIn();
  sts.createRole(ROLE);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-bench-token-'));
  const server = await startServer(dataDir, { HM_STS_ENDPOINT: sts.url });
  try {
    const { key, clusterId, agentKey } = await benchCluster(server.url, dataDir, { tier: 'pro' });
    await call(`${server.url}/v1/clusters/${clusterId}/agent-identities`, 'POST', key, {
      provider: 'aws',
      accountId: '123456789012',
      roleArnPattern: 'arn:aws:iam::123456789012:role/warp-agents-*',
      access: 'read-write',
    });
    const signer = identitySigner({ clusterId, credentials: sts.roleCredentials(ROLE, 'i-bench'), stsEndpoint: sts.url, region: 'us-east-1', audience: server.url });
    const presign = async (n: number) => {
      const out: SignedIdentityRequest[] = [];
      for (let i = 0; i < n; i++) out.push(await signer.sign());
      return out;
    };
    const keyReq = () => ({ headers: { authorization: `Bearer ${agentKey}` } });
    // Warm both paths up.
    await round(server.url, concurrency, 1, keyReq);
    let warm = await presign(200);
    await round(server.url, concurrency, 1, () => warm.pop() && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(warm.pop()) });

    console.log(`token exchanges (${concurrency} concurrent, ${seconds} s rounds, interleaved)`);
    const byKey: Awaited<ReturnType<typeof round>>[] = [];
    const byIdentity: Awaited<ReturnType<typeof round>>[] = [];
    for (let r = 0; r < 3; r++) {
      byKey.push(await round(server.url, concurrency, seconds, keyReq));
      // Enough signatures for the round at up to 1,000 exchanges/s.
      const pool = await presign(Math.ceil(1000 * seconds));
      const stsBefore = sts.count('GetCallerIdentity');
      byIdentity.push(await round(server.url, concurrency, seconds, () => {
        const s = pool.pop();
        return s && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(s) };
      }));
      if (pool.length === 0) console.log('  (the signature pool ran out: the identity rate is a lower bound)');
      if (sts.count('GetCallerIdentity') - stsBefore < byIdentity[r].rate * seconds) throw new Error('an exchange succeeded without asking STS');
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const keyRate = median(byKey.map((x) => x.rate));
    const idRate = median(byIdentity.map((x) => x.rate));
    figure('token_exchanges_per_second_agent_key', keyRate, 'exchanges/s', { rounds: byKey.map((x) => Math.round(x.rate)), p50Ms: median(byKey.map((x) => x.p50)), p99Ms: median(byKey.map((x) => x.p99)), errors: byKey.reduce((s, x) => s + x.errors, 0) });
    figure('token_exchanges_per_second_sts_identity', idRate, 'exchanges/s', { rounds: byIdentity.map((x) => Math.round(x.rate)), p50Ms: median(byIdentity.map((x) => x.p50)), p99Ms: median(byIdentity.map((x) => x.p99)), errors: byIdentity.reduce((s, x) => s + x.errors, 0) });
    figure('token_exchange_identity_to_key_ratio', idRate / keyRate, 'ratio', { note: 'the STS stand-in verifies signatures in the load generator\'s process, on the same 2 cores' });
    signer.close();
  } finally {
    await server.stop();
    await sts.close();
    await dispatcher.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runIfMain(import.meta, () => run());
