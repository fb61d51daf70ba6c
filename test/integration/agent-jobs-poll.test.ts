import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// POST /agent/v1/clusters/{clusterId}/jobs/poll over HTTP against real Redis (BullMQ) and dynalite:
// who may poll, long polls, leases that expire or return when their agent dies.
let h: Harness;
before(async () => {
  h = await startHarness({ env: JOB_ENV });
});
after(() => h.close());

test('poll: 204 when there is nothing; read-only keys, agents without the jobs role and unknown agents are refused', async () => {
  const c = await jobsCluster(h, 'pollers');
  await c.register('worker-1');
  await c.register('proxy-1', ['proxy']);
  assert.equal((await c.poll('worker-1', 0)).status, 204);
  const ro = await c.readOnlyToken();
  const refused = await c.poll('worker-1', 0, ro);
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'read_only_agent');
  assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
  assert.equal((await c.poll('proxy-1', 0)).body.code, 'missing_role');
  assert.equal((await c.poll('nobody', 0)).status, 404);
  assert.equal((await c.poll('worker-1', 25_000)).status, 400, 'waits above 20 s are refused');
});

test('an expired lease returns the job to another agent; a dead agent\'s lease returns at once', async () => {
  const c = await jobsCluster(h, 'leases');
  await c.register('worker-1');
  await c.register('worker-2');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  for (let i = 0; i < 3; i++) await c.commit([1]);
  await h.runtime.planAgentJobs();
  const a = await c.take('worker-1', 'compaction');
  // worker-1 goes silent: its lease expires and the stalled-job checker returns the job.
  const b = await eventually(async () => {
    const r = await c.poll('worker-2', 2000);
    return r.status === 200 && r.body.type === 'compaction' && r.body.jobId === a.jobId ? r.body : undefined;
  }, 60_000, 10);
  assert.notEqual(b.leaseToken, a.leaseToken);
  assert.equal((await c.complete(a.jobId, a.leaseToken, compactionResultFor(a, c.bucket))).status, 409, 'the old holder\'s token is stale');

  // worker-2 holds the other partition's job too, then is declared dead: both return at once.
  const other = await c.take('worker-2', 'compaction');
  assert.equal(await h.runtime.services.agentJobs.releaseAgent(c.clusterId, 'worker-2'), 2);
  const ids = new Set<string>();
  for (let i = 0; i < 2; i++) ids.add((await c.take('worker-1', 'compaction')).jobId);
  assert.deepEqual([...ids].sort(), [a.jobId, other.jobId].sort());
});
