import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenCli, startServerProcess } from '../helpers/server-process';
import { eventually, singleRegionCluster } from '../helpers/harness';

// `npm start` as users run it: the embedded redis-server child, stopped, then killed.
const BOUND_MS = 5000;

async function call(url: string, method: string, token: string, body?: unknown) {
  const t0 = performance.now();
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
}

test('embedded Redis stopped and then killed: bounded answers (503 redis_unavailable, never 500), the child restarts, everything recovers without a process restart', async (t) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hm-e2e-redis-'));
  const env = { HM_DATA_DIR: dataDir, HM_REDIS_COMMAND_TIMEOUT_MS: '500' };
  const server = await startServerProcess(env);
  t.after(async () => {
    await server.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const redisPid = () => Number(readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
  const u = (p: string) => `${server.url}${p}`;

  const admin = adminTokenCli(env).token;
  const { apiKey } = (await call(u('/admin/v1/tenants'), 'POST', admin, { name: 'Acme', tier: 'pro' })).body;
  const key = apiKey.secret as string;
  const clusterId = (await call(u('/v1/clusters'), 'POST', key, singleRegionCluster('orders'))).body.id as string;
  await eventually(async () => (await call(u(`/v1/clusters/${clusterId}`), 'GET', key)).body.status === 'ready', 20_000, 100);
  const agentKey = (await call(u(`/v1/clusters/${clusterId}/agent-keys`), 'POST', key, { name: 'agents', access: 'read-write' })).body.secret;
  const token = (await call(u('/agent/v1/token'), 'POST', agentKey)).body.accessToken as string;
  const reg = await call(u(`/agent/v1/clusters/${clusterId}/agents`), 'POST', token, {
    agentId: 'a-1',
    version: '1.0.0',
    region: 'us-east-1',
    zone: 'us-east-1a',
    advertisedAddress: '10.0.0.1:9092',
    roles: ['proxy'],
  });
  assert.equal(reg.status, 200);
  const beat = () => call(u(`/agent/v1/clusters/${clusterId}/agents/a-1/heartbeat`), 'POST', token, { stats: {} });
  assert.equal((await beat()).status, 200);

  // Stopped: prompt 503s where Redis is needed; the customer API answers.
  const stopped = redisPid();
  process.kill(stopped, 'SIGSTOP');
  try {
    for (let i = 0; i < 3; i++) {
      const r = await beat();
      assert.ok(r.ms < BOUND_MS, `heartbeat took ${Math.round(r.ms)} ms`);
      assert.equal(r.status, 503);
      assert.equal(r.body.code, 'redis_unavailable');
      assert.ok(Number(r.retryAfter) >= 1);
    }
    const get = await call(u(`/v1/clusters/${clusterId}`), 'GET', key);
    assert.ok(get.ms < BOUND_MS, `GET cluster took ${Math.round(get.ms)} ms`);
    assert.equal(get.status, 200);
  } finally {
    process.kill(stopped, 'SIGCONT');
  }
  await eventually(async () => (await beat()).status === 200, 20_000, 100);

  // Killed: answers stay bounded and are never a 500 while the child is started again on the
  // same port and data directory; then the same agent (its record reloaded) beats again.
  process.kill(stopped, 'SIGKILL');
  const seen = new Set<number>();
  await eventually(
    async () => {
      const r = await beat();
      assert.ok(r.ms < BOUND_MS, `heartbeat took ${Math.round(r.ms)} ms`);
      assert.ok(r.status === 200 || (r.status === 503 && r.body.code === 'redis_unavailable'), `heartbeat answered ${r.status} ${r.body?.code}`);
      seen.add(r.status);
      return r.status === 200 && redisPid() !== stopped;
    },
    30_000,
    50,
  );
  assert.match(server.output(), /embedded redis-server exited; restarting it/);
  assert.match(server.output(), /embedded redis-server restarted/);
  await eventually(async () => (await call(u('/readyz'), 'GET', '')).body?.status === 'ready', 20_000, 100);

  // The workers are back too: a new cluster is provisioned, the liveness sweep runs.
  const second = (await call(u('/v1/clusters'), 'POST', key, singleRegionCluster('after'))).body.id as string;
  await eventually(async () => (await call(u(`/v1/clusters/${second}`), 'GET', key)).body.status === 'ready', 30_000, 200);
  // Discovery answers from the restarted Redis; a 503 while its connections settle is allowed, a 500 never.
  let discovered: unknown;
  await eventually(
    async () => {
      const d = await call(u(`/agent/v1/clusters/${clusterId}/discovery`), 'GET', token);
      assert.ok(d.status === 200 || (d.status === 503 && d.body?.code === 'redis_unavailable'), `discovery answered ${d.status} ${JSON.stringify(d.body)}`);
      discovered = d.body?.agents?.map((a: { agentId: string }) => a.agentId);
      return d.status === 200;
    },
    20_000,
    100,
  );
  assert.deepEqual(discovered, ['a-1']);
  t.diagnostic(`answers seen while the child restarted: ${[...seen].join(', ')}`);
});
