import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, eventually, type Harness } from '../helpers/harness';
import { compactionResultFor, JOB_ENV, jobsCluster } from '../helpers/jobs';

// GET /v1/clusters/{clusterId}/jobs (and one job), and the admin queue view of agent-job queues.
let h: Harness;
before(async () => {
  h = await startHarness({ env: JOB_ENV });
});
after(() => h.close());

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
