import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/harness';
import { JOB_ENV, jobsCluster } from '../helpers/jobs';

// POST …/jobs/{jobId}/heartbeat: extends the lease with the right token, 409 with any other,
// and answers `cancelled` (ending the job) once its work became moot.
let h: Harness;
before(async () => {
  h = await startHarness({ env: JOB_ENV });
});
after(() => h.close());

test('a heartbeat extends the lease; a wrong token is 409 and extends nothing; moot work is cancelled', async () => {
  const c = await jobsCluster(h, 'beats');
  await c.register('worker-1');
  const files = [];
  for (let i = 0; i < 3; i++) files.push(await c.commit([0]));
  // Delete records: the files lose their batches and become due (grace 0).
  const del = await h.request('POST', `/agent/v1/clusters/${c.clusterId}/delete-records`, { token: c.token, body: { partitions: [{ topic: 'events', partition: 0, offset: 6 }] } });
  assert.equal(del.status, 200, del.text);
  await h.runtime.planAgentJobs();
  const job = await c.take('worker-1', 'delete-files');
  const first = await c.heartbeat(job.jobId, job.leaseToken);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.status, 'extended');
  assert.ok(Date.parse(first.body.leaseExpiresAt) > Date.now());
  const wrong = await c.heartbeat(job.jobId, '11111111-1111-4111-8111-111111111111');
  assert.equal(wrong.status, 409);
  assert.equal(wrong.body.code, 'stale_lease');
  assert.equal((await c.heartbeat(job.jobId, 'not a token')).status, 400);
  assert.equal((await c.heartbeat('job_nope', job.leaseToken)).status, 400);

  // Someone else deleted the files meanwhile (here: the report directly): the job is moot.
  const cluster = await h.runtime.services.clusterAccess(c.tenantId, c.clusterId);
  await h.runtime.services.metadata.recordFilesDeleted(cluster, files);
  const moot = await c.heartbeat(job.jobId, job.leaseToken);
  assert.equal(moot.status, 200, moot.text);
  assert.equal(moot.body.status, 'cancelled');
  const view = await h.request('GET', `/v1/clusters/${c.clusterId}/jobs/${job.jobId}`, { token: c.key });
  assert.deepEqual([view.body.state, view.body.outcome], ['completed', 'cancelled']);
  assert.equal((await c.heartbeat(job.jobId, job.leaseToken)).status, 409, 'the ended job\'s lease is gone');
});
