import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { manualClock } from '../../shared/clock';
import { randomBase62 } from '../../shared/crypto';
import { newId } from '../../shared/ids';
import { createLogger } from '../../shared/logger';
import { clusterCreation } from '../../services/clusters/creation';
import { clusterStore } from '../../services/clusters/store';
import { tenantStore } from '../../services/tenants/store';
import { DEFAULT_CLUSTER_CONFIG, type Cluster } from '../../services/clusters/model';
import { alertOnExhausted, jobsExhausted } from '../../workers/job-alerts';
import { reconcileProcessor } from '../../workers/processors/reconcile';
import { lifecycleProducer, openQueues } from '../../workers/queues';
import { startTestDynamo } from '../helpers/dynamo';
import { eventually } from '../helpers/harness';
import { startTestRedis, testBull } from '../helpers/redis';

/**
 * The reconciler on real BullMQ queues and a real store. Lifecycle jobs have deterministic
 * ids and failed ones are kept for days; BullMQ ignores an `add` under an id it still holds, so
 * re-queuing must replace a failed job, and say what it did.
 */
test('a job that failed on its last attempt is counted, logged, and really queued again by the reconciler', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const redis = await startTestRedis();
  t.after(() => redis.close());
  const bull = testBull(redis.url, redis.cluster, `hmt${randomBase62(8)}`);
  t.after(bull.close);
  const queues = openQueues(bull.connection, bull.keys);
  t.after(() => queues.close());
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const clock = manualClock(Date.parse('2027-03-01T12:00:00Z'));
  const clusters = clusterStore(d.db, d.tables.control);
  const stuck = async (status: Cluster['status']) => {
    const c: Cluster = {
      id: newId('cluster', clock.now()), tenantId: 'tnt_reconcile', name: `c-${randomBase62(6)}`, tier: 'pro', regions: ['us-east-1'],
      storage: { buckets: [{ region: 'us-east-1', url: 's3://b/x' }], writeQuorum: 1 },
      config: { ...DEFAULT_CLUSTER_CONFIG, defaultRetentionMs: 1000 }, deletionProtection: false, journalStripes: 1,
      status, createdAt: '2027-03-01T11:00:00.000Z', updatedAt: '2027-03-01T11:00:00.000Z', version: 2,
    };
    await clusters.create(c);
    return c;
  };
  const deleting = await stuck('deleting');
  const jobId = `cluster-destroy-${deleting.id}`;

  // The destroy job fails on every attempt (two here) and lands in `failed`, kept under its id.
  await (await queues.open()).lifecycle.add('cluster.destroy', { tenantId: deleting.tenantId, clusterId: deleting.id }, { jobId, attempts: 2 });
  const worker: Worker = new Worker('lifecycle', async (): Promise<unknown> => {
    throw new Error('the store is down');
  }, { connection: bull.connection, prefix: bull.keys.prefix('lifecycle') });
  alertOnExhausted(worker, logger);
  await eventually(async () => (await (await queues.open()).lifecycle.getJob(jobId))?.finishedOn !== undefined);
  assert.equal(await (await (await queues.open()).lifecycle.getJob(jobId))!.getState(), 'failed');
  await worker.close();
  const metric = await jobsExhausted().get();
  assert.deepEqual(metric.values.map((v) => [v.labels, v.value]), [[{ queue: 'lifecycle', name: 'cluster.destroy' }, 1]]);
  assert.ok(lines.some((l) => l.level === 50 && l.jobId === jobId && /last attempt/.test(String(l.msg))), 'an error is logged');

  // A provisioning cluster whose job was lost altogether.
  const provisioning = await stuck('provisioning');

  const reconcile = reconcileProcessor({ clusters, tenants: tenantStore(d.db, d.tables.control), jobs: lifecycleProducer(queues), reclaimLeakedCreates: () => clusterCreation({ clusters, tenants: tenantStore(d.db, d.tables.control), clock, logger }).reclaimLeaked(), clock, logger });
  assert.deepEqual(await reconcile(), { requeued: 2, pending: 0, added: 1, readded: 1, leakedCreates: { released: 0, confirmed: 0 }, purges: { pending: 0, added: 0, readded: 0 } });
  const again = (await (await queues.open()).lifecycle.getJob(jobId))!;
  assert.equal(await again.getState(), 'waiting', 'the failed job was replaced by a fresh one');
  assert.equal(again.attemptsMade, 0);
  assert.equal(await (await (await queues.open()).lifecycle.getJob(`cluster-provision-${provisioning.id}`))!.getState(), 'waiting');
  assert.ok(lines.some((l) => l.level === 50 && l.clusterId === deleting.id && l.reason === 'the store is down'), 'the reconciler says the job had failed');

  // Pending jobs are left alone: nothing is queued twice.
  assert.deepEqual(await reconcile(), { requeued: 0, pending: 2, added: 0, readded: 0, leakedCreates: { released: 0, confirmed: 0 }, purges: { pending: 0, added: 0, readded: 0 } });
  assert.equal((await (await queues.open()).lifecycle.getJobCounts('waiting')).waiting, 2);
});
