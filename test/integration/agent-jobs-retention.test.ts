import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scanKeys, type RedisClient } from '../../shared/redis';
import { queueKeys } from '../../workers/queue-keys';
import { manualClock } from '../../shared/clock';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// What Redis keeps of ended agent jobs: bounded by the live work, not by how often it failed.
const clock = manualClock();
const COOL_DOWN_MS = 60_000;
const KEEP_FAILED = 5;
let h: Harness;
let redis: RedisClient;
before(async () => {
  h = await startHarness({ clock, env: { ...JOB_ENV, HM_JOB_REPLAN_AFTER_FAILURE_MS: String(COOL_DOWN_MS), HM_JOB_KEEP_FAILED: String(KEEP_FAILED) } });
  // The runtime's own connection: a cluster client in the cluster run.
  redis = h.runtime.redis;
});
after(async () => {
  await h.close();
});

/** One planning pass; true when it covered the cluster(s) (each test's own cluster is the only one then). */
const plan = async () => ((await h.runtime.planAgentJobs()) as { clusters: number }).clusters > 0;
const waitingCompactions = async (c: { list(q: string): Promise<{ body: any }> }) => (await c.list('?state=waiting&limit=100')).body.items.filter((j: any) => j.type === 'compaction').length;
const queueKey = (clusterId: string) => `${queueKeys(h.config.queuePrefix, h.config.redisCluster).prefix(`agent-jobs-${clusterId}`)}:agent-jobs-${clusterId}`;

test('a compaction that keeps failing: one failed attempt kept (no payload, its error shown), re-planned only after the cool-down', async () => {
  const c = await jobsCluster(h, 'keeps-failing');
  // Enough small files that the compaction's payload is tens of KB.
  for (let i = 0; i < 60; i++) await c.commit([0]);
  const rounds = 6;
  let payloadBytes = 0;
  const ids: string[] = [];
  for (let round = 0; round < rounds; round++) {
    // Heartbeats do not move the manual clock: registering again keeps the agent live.
    await c.register('worker-1');
    // A metadata read brings the cluster's sequencer back after the clock moved past its lease.
    await eventually(async () => (await c.fetchPlan()) && (await plan()) && (await waitingCompactions(c)) === 1);
    const job = await c.take('worker-1', 'compaction');
    payloadBytes = JSON.stringify(job.payload).length;
    ids.push(job.jobId);
    assert.equal((await c.fail(job.jobId, job.leaseToken, false, 'input unreadable')).status, 200);
    // Planned again at once, it is deferred: nothing new is waiting.
    await eventually(plan);
    assert.equal(await waitingCompactions(c), 0, 'deferred within the cool-down');
    clock.advance(COOL_DOWN_MS + 1000);
  }
  assert.equal(new Set(ids).size, rounds, 'every round was a new attempt');
  assert.ok(payloadBytes > 10_000, `payload ${payloadBytes} bytes`);

  const failed = (await c.list('?state=failed&limit=100')).body.items.filter((j: any) => j.type === 'compaction');
  assert.deepEqual(failed.map((j: any) => j.id).sort(), ids.slice(-2).sort(), 'the latest ended attempts only, not one per round');
  assert.ok(failed.every((j: any) => j.error === 'input unreadable'), 'the failure stays visible');
  for (const id of ids.slice(-2)) {
    const data = await redis.hget(`${queueKey(c.clusterId)}:${id}`, 'data');
    assert.ok(data && data.length < 500, `kept job data ${data?.length} bytes`);
    assert.deepEqual(JSON.parse(data!).summary, { topic: 'events', partition: 0, batches: 60, files: 60 });
  }
  for (const id of ids.slice(0, -2)) assert.equal((await h.request('GET', `/v1/clusters/${c.clusterId}/jobs/${id}`, { token: c.key })).status, 404, 'earlier attempts are gone');
  assert.equal((await h.request('GET', `/v1/clusters/${c.clusterId}/jobs/${ids.at(-1)}`, { token: c.key })).body.error, 'input unreadable');
});

test('failed jobs per queue stay under the cap while new work still runs', async () => {
  const c = await jobsCluster(h, 'many-failures');
  await c.register('worker-1');
  await h.runtime.planAgentJobs();
  // An orphan scan reporting 2,000 unknown keys plans 20 delete-files jobs, each its own work item.
  const scan = await c.take('worker-1', 'orphan-scan');
  const objects = Array.from({ length: 2000 }, (_, i) => ({ objectKey: `orphans/${i}`, lastModifiedMs: 0 }));
  const done = await c.complete(scan.jobId, scan.leaseToken, { objects });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.result.deleteJobs, 20);
  for (let i = 0; i < 20; i++) {
    const job = await c.take('worker-1', 'delete-files');
    assert.equal((await c.fail(job.jobId, job.leaseToken, false, 'access denied')).status, 200);
  }
  const failed = await c.list('?state=failed&limit=100');
  assert.ok(failed.body.items.length > 0 && failed.body.items.length <= KEEP_FAILED, `${failed.body.items.length} failed jobs kept`);
  assert.ok(failed.body.items.every((j: any) => j.error === 'access denied'), 'the newest failures are the ones shown');
  const q = await h.request('GET', '/admin/v1/queues', { token: await h.adminToken(['viewer']) });
  assert.ok(q.body.queues.some((x: any) => x.name === `agent-jobs-${c.clusterId}` && x.counts.failed === failed.body.items.length), q.text);
  // Job hashes in Redis: the kept failures and the one completed scan.
  const jobKeys = (await scanKeys(redis, `${queueKey(c.clusterId)}:job_*`)).filter((k) => /:job_[^:]+$/.test(k));
  assert.ok(jobKeys.length <= KEEP_FAILED + 1, `${jobKeys.length} job hashes`);

  for (let i = 0; i < 3; i++) await c.commit([1]);
  await h.runtime.planAgentJobs();
  const live = await c.take('worker-1', 'compaction');
  assert.equal((await c.complete(live.jobId, live.leaseToken, compactionResultFor(live, c.bucket))).body.outcome, 'completed');
});
