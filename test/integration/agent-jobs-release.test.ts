import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { JOB_ENV, jobsCluster } from '../helpers/jobs';

// A dead agent's leases return at once (runtime.services.agentJobs.releaseAgent, which the liveness
// sweep calls). Leases here last far longer than the test, so only the release can free them.
let h: Harness;
before(async () => {
  h = await startHarness({ env: { ...JOB_ENV, HM_JOB_LEASE_MS: '600000' } });
});
after(() => h.close());

test('a dead agent\'s leases return at once and go to another agent; a live agent\'s stay', async () => {
  const c = await jobsCluster(h, 'releases');
  await c.register('worker-1');
  await c.register('worker-2');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  for (let i = 0; i < 3; i++) await c.commit([1]);
  await h.runtime.planAgentJobs();
  const held = [await c.take('worker-2', 'compaction'), await c.take('worker-2', 'compaction')];
  assert.notEqual(held[0].jobId, held[1].jobId);
  assert.equal(await h.runtime.services.agentJobs.releaseAgent(c.clusterId, 'worker-1'), 0, 'worker-1 holds nothing');
  // Nothing else to hand out: an orphan scan the scheduled planning pass may have added is
  // finished first; a compaction here would mean worker-2's leases did not hold.
  for (let i = 0; ; i++) {
    const r = await c.poll('worker-1', 0);
    if (r.status === 204) break;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.type, 'orphan-scan', 'worker-2\'s leases still hold');
    assert.ok(i < 5, 'orphan scans keep coming');
    assert.equal((await c.complete(r.body.jobId, r.body.leaseToken, { objects: [] })).status, 200);
  }

  assert.equal(await h.runtime.services.agentJobs.releaseAgent(c.clusterId, 'worker-2'), 2);
  assert.equal(await h.runtime.services.agentJobs.releaseAgent(c.clusterId, 'worker-2'), 0, 'released once');
  const taken = [await c.take('worker-1', 'compaction'), await c.take('worker-1', 'compaction')];
  assert.deepEqual(taken.map((j) => j.jobId).sort(), held.map((j) => j.jobId).sort());
  for (const [i, j] of taken.entries()) {
    assert.notEqual(j.leaseToken, held.find((x) => x.jobId === j.jobId)!.leaseToken, `job ${i} has a new lease`);
    assert.equal((await c.heartbeat(j.jobId, held.find((x) => x.jobId === j.jobId)!.leaseToken)).status, 409, 'the dead agent\'s token is stale');
  }
});
