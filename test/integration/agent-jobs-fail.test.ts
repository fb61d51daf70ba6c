import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// POST …/jobs/{jobId}/fail: retries with backoff, exhaustion (visible, counted), planning again.
let h: Harness;
before(async () => {
  h = await startHarness({ env: JOB_ENV });
});
after(() => h.close());

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
