import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { perMinute, rateLimiter } from '../../shared/rate-limiter';
import { isCluster, redisGuard, scanKeys } from '../../shared/redis';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster';

// HM_REDIS_CLUSTER=true against a private Redis Cluster of three masters (as ElastiCache
// Serverless serves only cluster mode): the paths whose keys a cluster spreads over slots
// (agent liveness, rate limits, the BullMQ queues and their console) work end to end. Cross-slot
// scripts, transactions and pipelines fail there, so a regression shows here, not in a deploy.
// `npm run test:redis-cluster` runs the wider suites the same way.
let cluster: TestRedisCluster;
let h: Harness;
before(async () => {
  cluster = await startTestRedisCluster(3);
  h = await startHarness({ redisUrl: cluster.url, env: { ...JOB_ENV, HM_REDIS_CLUSTER: 'true', REDIS_URL: cluster.url } });
});
after(async () => {
  await h?.close();
  await cluster?.close();
});

const slotOf = async (key: string) => Number(await h.runtime.redis.call('CLUSTER', 'KEYSLOT', key));

test('every connection is a cluster client, and the three masters each serve slots', async () => {
  assert.equal(h.config.redisCluster, true);
  assert.ok(isCluster(h.runtime.redis));
  await eventually(async () => (isCluster(h.runtime.redis) ? h.runtime.redis.nodes('master').length === 3 : false));
});

test('liveness over many clusters: register, beat, sweep, mark dead, sync and forget, across slots', async () => {
  const live = h.runtime.stores.live;
  const info = (agentId: string) => ({ agentId, version: '1.0.0', region: 'us-east-1', zone: 'us-east-1a', advertisedAddress: '10.0.0.1:9092', roles: ['broker'] }) as never;
  const now = Date.now();
  const clusters = Array.from({ length: 12 }, (_, i) => `c-slots-${i}`);
  // The cluster ids' hash tags land on different slots (and masters): the sweep's view spans them.
  assert.ok(new Set(await Promise.all(clusters.map((c) => slotOf(`{${c}}`)))).size > 1);
  for (const c of clusters) {
    for (const a of ['a-1', 'a-2']) {
      const r = await live.register('t-slots', c, info(a), now, 60, 10, now - 10_000, { id: 'cred-1', mayRebind: false });
      assert.equal(r.result, 'ok');
    }
    // Beats of one cluster go to Redis as one script call over its own slot.
    const beats = await Promise.all(['a-1', 'a-2'].map((a) => live.heartbeat(c, a, { openConnections: 1 }, now + 1000, 60, { emissionMs: 1, burst: 10 }, 'cred-1')));
    assert.deepEqual(beats.map((b) => b.result), ['ok', 'ok']);
  }
  const listed = (await live.clusters()).filter((c) => c.tenantId === 't-slots').map((c) => c.clusterId).sort();
  assert.deepEqual(listed, [...clusters].sort());
  const view = (await live.sweepView(now + 500, now + 2000)).filter((c) => c.tenantId === 't-slots');
  assert.equal(view.length, clusters.length);
  for (const c of view) {
    assert.equal(c.agents, 2);
    assert.equal(c.newest, now + 1000);
    assert.equal(c.overdue.length, 2);
  }
  assert.equal(await live.markDead(clusters[0], 'a-1', now + 2000, now - 60_000), true);
  const pending = (await live.sweepView(now + 500, now + 2000)).find((c) => c.clusterId === clusters[0])!.pending;
  assert.deepEqual(pending, [{ agentId: 'a-1', state: 'dead' }], 'the pending write, with the agent state read from another slot');
  assert.deepEqual((await live.dead(clusters[0], 0)).map((a) => a.agentId), ['a-1']);
  await live.synced(clusters[0], 'a-1', 'dead');
  await live.deregister(clusters[0], 'a-2', 60);
  assert.deepEqual((await live.live(clusters[0], 0)).map((a) => a.agentId), []);
  await live.saveSweepState({ 'c:c-slots-1:start': now }, []);
  for (const c of clusters) await live.forgetCluster('t-slots', c);
  assert.deepEqual((await live.clusters()).filter((c) => c.tenantId === 't-slots'), []);
  assert.equal((await live.sweepState())['c:c-slots-1:start'], undefined);
  // Only the deregistered agent's record is left, to expire (it is in no set the cluster lists).
  assert.deepEqual(await scanKeys(h.runtime.redis, `${h.config.queuePrefix}:*{c-slots-*`), [`${h.config.queuePrefix}:agent:{${clusters[0]}}:a-2`], 'nothing else of the forgotten clusters is left on any master');
});

test('rate limits are shared through the cluster: a budget refuses once spent, keys on any slot', async () => {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const limiter = rateLimiter({ redis: h.runtime.redis, guard: redisGuard(), prefix: h.config.queuePrefix, now: clock.now });
  const budget = perMinute('cluster-test', 3);
  for (const key of ['tenant-a', 'tenant-b', 'tenant-c']) {
    for (let i = 0; i < 3; i++) assert.equal(await limiter.take(budget, key), 0, `${key} take ${i}`);
    assert.ok((await limiter.take(budget, key)) > 0, `${key} is refused once its budget is spent`);
  }
  // A second process's limiter sees the same counts.
  const other = rateLimiter({ redis: h.runtime.redis, guard: redisGuard(), prefix: h.config.queuePrefix, now: clock.now });
  assert.ok((await other.spend(budget, 'tenant-a')) > 0);
  clock.advance(20_000);
  assert.equal(await other.take(budget, 'tenant-a'), 0, 'refilled after one emission');
});

test('BullMQ end to end: a lifecycle job provisions a cluster, an agent job is leased and completed; queue keys are hash-tagged per queue', async () => {
  const c = await jobsCluster(h, 'slots');
  await c.register('worker-1');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  await h.runtime.planAgentJobs();
  const job = await c.take('worker-1', 'compaction');
  assert.equal((await c.heartbeat(job.jobId, job.leaseToken)).status, 200);
  assert.equal((await c.complete(job.jobId, job.leaseToken, compactionResultFor(job, c.bucket))).status, 200);
  const done = await c.list('?state=completed');
  assert.equal(done.status, 200, done.text);
  assert.ok(done.body.items.some((j: { id: string }) => j.id === job.jobId));

  const prefix = h.config.queuePrefix;
  const agentQueue = `agent-jobs-${c.clusterId}`;
  const metas = await scanKeys(h.runtime.redis, `${prefix}:*:meta`);
  for (const q of ['lifecycle', 'maintenance', agentQueue]) assert.ok(metas.includes(`${prefix}:{${q}}:${q}:meta`), `${q}'s keys carry its own hash tag`);
  assert.deepEqual(await scanKeys(h.runtime.redis, `${prefix}:lifecycle:*`), [], 'no untagged queue key');
  // One tag per queue: the queues sit on slots of their own, not one shared hot slot.
  assert.equal(new Set(await Promise.all(['lifecycle', 'maintenance', agentQueue].map((q) => slotOf(`{${q}}`)))).size, 3);

  // The console and the counts find every queue, whichever master holds it.
  const board = (await h.runtime.services.queueBoard.all()).map((q) => q.name);
  for (const q of ['lifecycle', 'maintenance', agentQueue]) assert.ok(board.includes(q), `${q} on the queue console`);
  const counts = await h.runtime.agentQueues.counts();
  assert.ok(counts.some((x) => x.name === agentQueue && x.counts.completed >= 1));
});
