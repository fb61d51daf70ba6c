import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, type Harness } from '../helpers/harness';
import { Queue } from 'bullmq';
import { agentJobQueueName } from '../../workers/agent-jobs';
import { queueKeys } from '../../workers/queue-keys';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// POST …/jobs/{jobId}/complete: results validated and applied to the metadata (compaction swaps
// or refusals, deletions), stale tokens refused.
let h: Harness;
before(async () => {
  h = await startHarness({ env: JOB_ENV });
});
after(() => h.close());

test('compaction end to end: planned, leased, swapped in; a stale token cannot complete; old files are deleted by a delete-files job', async () => {
  const c = await jobsCluster(h, 'compactors');
  await c.register('worker-1');
  const files = [];
  for (let i = 0; i < 4; i++) files.push(await c.commit([0]));
  const before = (await c.fetchPlan()).body.partitions[0].batches;
  await h.runtime.planAgentJobs();
  const job = await c.take('worker-1', 'compaction');
  assert.equal(job.payload.batches.length, 4);
  assert.equal(job.attempt, 1);

  // A wrong token changes nothing: 409 for heartbeat, complete and fail.
  const wrong = '00000000-0000-4000-8000-000000000000';
  for (const r of [await c.heartbeat(job.jobId, wrong), await c.complete(job.jobId, wrong, compactionResultFor(job, c.bucket)), await c.fail(job.jobId, wrong, false)]) {
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'stale_lease');
  }
  assert.deepEqual((await c.fetchPlan()).body.partitions[0].batches, before);

  const hb = await c.heartbeat(job.jobId, job.leaseToken);
  assert.equal(hb.status, 200, hb.text);
  assert.equal(hb.body.status, 'extended');
  const result = compactionResultFor(job, c.bucket);
  const done = await c.complete(job.jobId, job.leaseToken, result);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.outcome, 'completed');
  assert.deepEqual(done.body.result.filesReleased, [...files].sort());
  const afterPlan = (await c.fetchPlan()).body.partitions[0].batches;
  assert.deepEqual(afterPlan.map((b: any) => [b.baseOffset, b.lastOffset]), before.map((b: any) => [b.baseOffset, b.lastOffset]), 'offsets unchanged');
  assert.ok(afterPlan.every((b: any) => b.fileId === result.fileId));
  // The lease ended with the job: the token is stale now.
  assert.equal((await c.complete(job.jobId, job.leaseToken, result)).status, 409);

  // The old files are due (grace 0): a delete-files job; its report removes the records.
  await h.runtime.planAgentJobs();
  const del = await c.take('worker-1', 'delete-files');
  assert.deepEqual(del.payload.objects.map((o: any) => o.fileId).sort(), [...files].sort());
  const deleted = await c.complete(del.jobId, del.leaseToken, { deleted: del.payload.objects.map((o: any) => o.objectKey) });
  assert.equal(deleted.status, 200, deleted.text);
  assert.ok(deleted.body.result.files.every((f: any) => f.result === 'deleted'));

  const view = await c.list('?state=completed');
  assert.equal(view.status, 200, view.text);
  assert.deepEqual(view.body.items.map((j: any) => j.type).sort(), ['compaction', 'delete-files', 'orphan-scan'].filter((t) => view.body.items.some((j: any) => j.type === t)).sort());
  const compaction = view.body.items.find((j: any) => j.id === job.jobId);
  assert.equal(compaction.agentId, 'worker-1');
  assert.equal(compaction.outcome, 'completed');
});

test('a compaction result that no longer covers its inputs is refused and its file is scheduled for deletion', async () => {
  const c = await jobsCluster(h, 'refusals');
  await c.register('worker-1');
  for (let i = 0; i < 3; i++) await c.commit([1]);
  await h.runtime.planAgentJobs();
  const job = await c.take('worker-1', 'compaction');
  const result = compactionResultFor(job, c.bucket);
  result.segments[0].batches.pop();
  result.segments[0].batches[1].baseOffset += 1;
  const before = (await c.fetchPlan()).body;
  const r = await c.complete(job.jobId, job.leaseToken, result);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.outcome, 'refused');
  assert.deepEqual((await c.fetchPlan()).body, before);
  await h.runtime.planAgentJobs();
  const del = await c.take('worker-1', 'delete-files');
  assert.ok(del.payload.objects.some((o: any) => o.fileId === result.fileId), 'the refused result\'s object is deleted');
});

test('bookkeeping of a job BullMQ has removed is pruned by the next planning pass; a live job keeps its holder', async () => {
  const c = await jobsCluster(h, 'pruning');
  await c.register('worker-1');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  await h.runtime.planAgentJobs();
  const job = await c.take('worker-1', 'compaction');
  assert.equal((await c.complete(job.jobId, job.leaseToken, compactionResultFor(job, c.bucket))).status, 200);
  const name = agentJobQueueName(c.clusterId);
  const keys = queueKeys(h.config.queuePrefix, h.config.redisCluster);
  const holders = `${keys.prefix(name)}:${name}:holders`;
  assert.equal(await h.runtime.redis.hexists(holders, job.jobId), 1, 'the view remembers who ran it while the job is kept');

  // What removeOnComplete does once the job is old enough.
  const connection = h.runtime.redis.duplicate();
  const queue = new Queue(name, { connection, prefix: keys.prefix(name) });
  try {
    await queue.remove(job.jobId);
  } finally {
    await queue.close();
    connection.disconnect();
  }
  await h.runtime.planAgentJobs();
  const del = await c.take('worker-1', 'delete-files');
  await h.runtime.planAgentJobs();
  assert.equal(await h.runtime.redis.hexists(holders, job.jobId), 0, 'the removed job\'s holder is gone');
  assert.equal(await h.runtime.redis.hexists(holders, del.jobId), 1, 'a held job keeps its holder');
  assert.equal((await c.heartbeat(del.jobId, del.leaseToken)).status, 200, 'and its lease still works');
});
