import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudMetrics } from '../../infra/cloud-metrics';
import { eventually, singleRegionCluster, startHarness } from '../helpers/harness';

test('embedded-metric lines: failed jobs since the last line, leases this node took over', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const lines: any[] = [];
  const m = cloudMetrics({ region: 'us-east-1', queues: h.runtime.services.queues, metadata: h.runtime.services.metadata, write: (l) => lines.push(JSON.parse(l)), now: () => 1_800_000_000_000 });
  await m.tick();
  assert.deepEqual(lines[0]._aws.CloudWatchMetrics, [
    { Namespace: 'Harbormaster', Dimensions: [['Region']], Metrics: [{ Name: 'QueueJobsFailed', Unit: 'Count' }, { Name: 'LeaseTakeovers', Unit: 'Count' }] },
  ]);
  assert.equal(lines[0]._aws.Timestamp, 1_800_000_000_000);
  assert.deepEqual([lines[0].Region, lines[0].QueueJobsFailed, lines[0].LeaseTakeovers], ['us-east-1', 0, 0]);

  const { key } = await h.createTenant();
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('metrics') });
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready');
  assert.equal((await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 't', partitions: 1 } })).status, 201);
  // A job that cannot succeed: the maintenance worker knows no such job, and it has one attempt.
  await (await h.runtime.queues.open()).maintenance.add('no-such-job', {}, { attempts: 1 });
  await eventually(async () => ((await h.runtime.services.queues.counts()).find((q) => q.name === 'maintenance')?.counts.failed ?? 0) >= 1);
  await m.tick();
  assert.equal(lines[1].LeaseTakeovers, 1, 'this node took the cluster');
  // At least ours: on a loaded machine another job may also have failed (a stalled one, say).
  assert.ok(lines[1].QueueJobsFailed >= 1, `failed jobs counted: ${lines[1].QueueJobsFailed}`);
  await m.tick();
  const failedNow = (await h.runtime.services.queues.counts()).reduce((n, q) => n + (q.counts.failed ?? 0), 0);
  assert.equal(lines[2].LeaseTakeovers, 0, 'a lease is counted once');
  assert.equal(lines[1].QueueJobsFailed + lines[2].QueueJobsFailed, failedNow, 'each failed job is counted once');
});
