import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// Agent jobs over HTTP against real Redis (BullMQ) and dynalite: planning, leases, results.
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

test('retryable failures are retried with backoff until exhausted; the failed job is visible and planning it again makes a new attempt', async () => {
  const c = await jobsCluster(h, 'exhaust');
  await c.register('worker-1');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  await h.runtime.planAgentJobs();
  const first = await c.take('worker-1', 'compaction');
  const f1 = await c.fail(first.jobId, first.leaseToken, true);
  assert.equal(f1.status, 200, f1.text);
  assert.deepEqual([f1.body.state, f1.body.exhausted], ['retrying', false]);
  const second = await c.take('worker-1', 'compaction');
  assert.equal(second.jobId, first.jobId);
  assert.equal(second.attempt, 2);
  assert.notEqual(second.leaseToken, first.leaseToken, 'every hand-out has its own token');
  assert.equal((await c.fail(second.jobId, second.leaseToken, true)).body.state, 'retrying');
  const third = await c.take('worker-1', 'compaction');
  assert.equal(third.attempt, 3);
  const f3 = await c.fail(third.jobId, third.leaseToken, true);
  assert.deepEqual([f3.body.state, f3.body.exhausted], ['failed', true]);
  const failed = await c.list('?state=failed');
  const seen = failed.body.items.find((j: any) => j.id === first.jobId);
  assert.ok(seen, failed.text);
  assert.equal(seen.error, 'disk full');
  assert.equal(seen.attempts, 3);
  const metrics = await h.request('GET', '/metrics');
  assert.match(metrics.text, /hm_agent_jobs_total\{type="compaction",outcome="exhausted"\} 1/);
  assert.match(metrics.text, /hm_jobs_exhausted_total\{queue="agent-jobs",name="compaction"\} 1/);

  await h.runtime.planAgentJobs();
  const again = await c.take('worker-1', 'compaction');
  assert.notEqual(again.jobId, first.jobId, 'a new attempt under a new id');
  assert.equal(again.jobId.replace(/-\d+$/, ''), first.jobId.replace(/-\d+$/, ''), 'of the same work item');
  assert.equal((await c.complete(again.jobId, again.leaseToken, compactionResultFor(again, c.bucket))).body.outcome, 'completed');
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

test('jobs list: paginated, filtered by state, tenant-checked', async () => {
  const c = await jobsCluster(h, 'views');
  await c.register('worker-1');
  for (let i = 0; i < 3; i++) await c.commit([0]);
  for (let i = 0; i < 3; i++) await c.commit([1]);
  await h.runtime.planAgentJobs();
  const all = await c.list('?limit=1');
  assert.equal(all.status, 200, all.text);
  assert.equal(all.body.items.length, 1);
  assert.ok(all.body.nextCursor);
  const next = await c.list(`?limit=1&cursor=${encodeURIComponent(all.body.nextCursor)}`);
  assert.equal(next.status, 200);
  assert.notEqual(next.body.items[0].id, all.body.items[0].id);
  assert.equal((await c.list('?state=bogus')).status, 400);
  assert.equal((await c.list('?cursor=forged.cursor')).status, 400);
  const waiting = await c.list('?state=waiting&limit=100');
  assert.ok(waiting.body.items.length >= 2 && waiting.body.items.every((j: any) => j.state === 'waiting'));
  // Another tenant sees no such cluster.
  const other = await jobsCluster(h, 'strangers');
  assert.equal((await h.request('GET', `/v1/clusters/${c.clusterId}/jobs`, { token: other.key })).status, 404);
  // The admin queue view lists the cluster's agent-job queue.
  const q = await h.request('GET', '/admin/v1/queues', { token: await h.adminToken(['viewer']) });
  assert.equal(q.status, 200, q.text);
  assert.ok(q.body.queues.some((x: any) => x.name === `agent-jobs-${c.clusterId}` && x.counts.waiting >= 2));
});
