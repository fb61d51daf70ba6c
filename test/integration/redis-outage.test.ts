import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisServer, type ChildRedis } from '../../infra/local/redis-server';
import { clusterBucket, eventually, singleRegionCluster, startHarness, type Harness, type Reply } from '../helpers/harness';

// A Redis this test owns (whatever REDIS_URL says), stopped with SIGSTOP: the connection stays
// open and nothing answers, the worst case for a client without deadlines.
const TIMEOUT_MS = 300;
const BOUND_MS = 5000;
let dir: string;
let redis: ChildRedis;
let h: Harness;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hm-redis-outage-'));
  redis = await startRedisServer(dir, false);
  h = await startHarness({ redisUrl: redis.url, reconcileEveryMs: 1000, env: { HM_REDIS_COMMAND_TIMEOUT_MS: String(TIMEOUT_MS) } });
});
after(async () => {
  process.kill(redis.pid()!, 'SIGCONT');
  await h.close();
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The answer and how long it took; every answer must come within the bound. */
async function timed(what: string, call: () => Promise<Reply>) {
  const t0 = performance.now();
  const r = await call();
  const ms = performance.now() - t0;
  assert.ok(ms < BOUND_MS, `${what} took ${Math.round(ms)} ms`);
  return r;
}

function assertUnavailable(r: Reply) {
  assert.equal(r.status, 503, r.text);
  assert.equal(r.body.code, 'redis_unavailable');
  assert.equal(r.body.retryable, true);
  assert.ok(Number(r.headers['retry-after']) >= 1);
}

test('Redis stopped: agents get a prompt 503 redis_unavailable where Redis is needed, everything else keeps working, and all recovers', async () => {
  const { tenant, key } = await h.createTenant('pro', 'Outage Co');
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('outage') });
  const clusterId = c.body.id as string;
  await eventually(async () => (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.status === 'ready');
  assert.equal((await h.request('POST', `/v1/clusters/${clusterId}/topics`, { token: key, body: { name: 'orders', partitions: 1 } })).status, 201);
  const ak = await h.request('POST', `/v1/clusters/${clusterId}/agent-keys`, { token: key, body: { name: 'agents', access: 'read-write' } });
  const token = (await h.request('POST', '/agent/v1/token', { headers: { authorization: `Bearer ${ak.body.secret}` } })).body.accessToken;
  const agent = { agentId: 'a-1', version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['proxy'] };
  assert.equal((await h.request('POST', `/agent/v1/clusters/${clusterId}/agents`, { token, body: agent })).status, 200);
  const beat = () => h.request('POST', `/agent/v1/clusters/${clusterId}/agents/a-1/heartbeat`, { token, body: { stats: {} } });
  assert.equal((await beat()).status, 200);
  const commit = (fileId: string) =>
    h.request('POST', `/agent/v1/clusters/${clusterId}/files`, {
      token,
      body: {
        fileId,
        objectKey: `segments/${fileId}`,
        sizeBytes: 100,
        replicas: [{ region: 'us-east-1', bucket: clusterBucket('outage'), checksum: 'c' }],
        batches: [{ topic: 'orders', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 1, maxTimestamp: 1 }],
      },
    });

  let during = '';
  process.kill(redis.pid()!, 'SIGSTOP');
  try {
    // A burst of heartbeats at once: each answers promptly, none waits for Redis forever.
    const beats = await Promise.all(Array.from({ length: 20 }, (_, i) => timed(`heartbeat ${i}`, beat)));
    for (const r of beats) assertUnavailable(r);
    assertUnavailable(await timed('discovery', () => h.request('GET', `/agent/v1/clusters/${clusterId}/discovery`, { token })));
    assertUnavailable(await timed('register', () => h.request('POST', `/agent/v1/clusters/${clusterId}/agents`, { token, body: { ...agent, agentId: 'a-2' } })));
    // Views whose data lives in Redis say so, promptly.
    assertUnavailable(await timed('fleet view', async () => h.request('GET', '/admin/v1/fleet', { token: await h.adminToken() })));
    assertUnavailable(await timed('queue view', async () => h.request('GET', '/admin/v1/queues', { token: await h.adminToken() })));
    assertUnavailable(await timed('agent list', () => h.request('GET', `/v1/clusters/${clusterId}/agents`, { token: key })));

    // The customer and admin APIs (their rate limits counted in this process meanwhile), the
    // token exchange and the log metadata do not need Redis.
    assert.equal((await timed('get cluster', () => h.request('GET', `/v1/clusters/${clusterId}`, { token: key }))).status, 200);
    assert.equal((await timed('admin get tenant', async () => h.request('GET', `/admin/v1/tenants/${tenant.id}`, { token: await h.adminToken() }))).status, 200);
    const created = await timed('create cluster', () => h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('during') }));
    assert.equal(created.status, 202, created.text);
    during = created.body.id;
    assert.equal((await timed('token exchange', () => h.request('POST', '/agent/v1/token', { headers: { authorization: `Bearer ${ak.body.secret}` } }))).status, 200);
    assert.equal((await timed('commit', () => commit('f-1'))).status, 200);
    assert.equal((await timed('topics', () => h.request('GET', `/agent/v1/clusters/${clusterId}/topics`, { token }))).status, 200);

    const ready = await timed('readyz', () => h.request('GET', '/readyz'));
    assert.equal(ready.status, 200, 'still serving: not a reason to leave the load balancer');
    assert.equal(ready.body.status, 'degraded');
    assert.equal(ready.body.checks.redis.ok, false);
    const metrics = (await timed('metrics', () => h.request('GET', '/metrics'))).text;
    assert.match(metrics, /^hm_redis_available 0$/m);
    assert.match(metrics, /^hm_rate_limit_degraded_total\{limit="caller"\} [1-9]/m);
    assert.match(metrics, /^hm_rate_limit_degraded_total\{limit="cluster-metadata"\} [1-9]/m);

    // Queries behind the open breaker do not pile up: a second wave answers at once too.
    for (const r of await Promise.all(Array.from({ length: 20 }, (_, i) => timed(`heartbeat again ${i}`, beat)))) assertUnavailable(r);
  } finally {
    process.kill(redis.pid()!, 'SIGCONT');
  }

  // Back: heartbeats, readiness, the queue (the cluster created meanwhile gets provisioned).
  await eventually(async () => (await beat()).status === 200, 20_000, 100);
  await eventually(async () => (await h.request('GET', '/readyz')).body.status === 'ready', 20_000, 100);
  assert.match((await h.request('GET', '/metrics')).text, /^hm_redis_available 1$/m);
  await eventually(async () => (await h.request('GET', `/v1/clusters/${during}`, { token: key })).body.status === 'ready', 30_000, 200);
  assert.equal((await h.request('GET', `/agent/v1/clusters/${clusterId}/discovery`, { token })).body.agents.length, 1);
});
