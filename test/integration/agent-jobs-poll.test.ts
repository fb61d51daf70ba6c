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

test('an expired lease returns the job to another agent, whose new token makes the old one stale', async () => {
  const c = await jobsCluster(h, 'leases');
  await c.register('worker-1');
  await c.register('worker-2');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  await h.runtime.planAgentJobs();
  const a = await c.take('worker-1', 'compaction');
  // worker-1 goes silent: its lease expires and the stalled-job checker returns the job. Any other
  // work worker-2 is handed meanwhile is finished, so that it holds nothing but what it asked for.
  const b = await eventually(async () => {
    const r = await c.poll('worker-2', 2000);
    if (r.status !== 200) return undefined;
    if (r.body.jobId === a.jobId) return r.body;
    if (r.body.type === 'orphan-scan') await c.complete(r.body.jobId, r.body.leaseToken, { objects: [] });
    else await c.fail(r.body.jobId, r.body.leaseToken, false, 'not in this test');
    return undefined;
  }, 60_000, 10);
  assert.equal(b.type, 'compaction');
  assert.notEqual(b.leaseToken, a.leaseToken);
  assert.equal((await c.complete(a.jobId, a.leaseToken, compactionResultFor(a, c.bucket))).status, 409, 'the old holder\'s token is stale');
  assert.equal((await c.complete(b.jobId, b.leaseToken, compactionResultFor(b, c.bucket))).status, 200, 'the new holder completes it');
});
