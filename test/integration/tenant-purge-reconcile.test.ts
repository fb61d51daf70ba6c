import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { manualClock } from '../../shared/clock';
import { createLogger } from '../../shared/logger';
import { reconcileProcessor } from '../../workers/processors/reconcile';
import { lifecycleProducer } from '../../workers/queues';
import { eventually, startHarness, type Harness } from '../helpers/harness';
import { testBull } from '../helpers/redis';

let h: Harness;
before(async () => {
  h = await startHarness({ workers: false });
});
after(() => h.close());

/**
 * Issue 8: a tenant purge that fails half way (its lookups gone, its keys not yet, the tenant
 * item still `deleting`) used to stay so: nothing looked for deleting tenants. The reconciler
 * now finds them and queues the purge again, which finishes the job.
 */
test('a half-purged tenant is found by the reconciler and its purge finished', async (t) => {
  const admin = await h.adminToken();
  const { tenant, key } = await h.createTenant('pro', 'Half Purged');
  for (const name of ['a', 'b']) {
    assert.equal((await h.request('POST', '/v1/api-keys', { token: key, body: { name, scopes: ['clusters:read'] } })).status, 201);
  }
  const del = await h.request('DELETE', `/admin/v1/tenants/${tenant.id}`, { token: admin });
  assert.ok(del.status < 300, del.text);
  assert.equal(del.body.status, 'deleting');

  // The purge job the delete queued runs half way (the lookups go, as the purge does first)
  // and then the store fails, on its last attempt: the job is kept as failed.
  const lifecycle = (await h.runtime.queues.open()).lifecycle;
  const jobId = `tenant-purge-${tenant.id}`;
  await (await lifecycle.getJob(jobId))!.remove();
  await lifecycle.add('tenant.purge', { tenantId: tenant.id }, { jobId, attempts: 1 });
  const stores = h.runtime.stores;
  const bull = testBull(h.engines.redisUrl, h.config.redisCluster, h.config.queuePrefix);
  t.after(bull.close);
  const failing = new Worker(
    'lifecycle',
    async (): Promise<unknown> => {
      const { lookups } = await stores.tenants.partitionKeys(tenant.id);
      await stores.tenants.removeMany(lookups);
      throw new Error('the store went away mid-purge');
    },
    { connection: bull.connection, prefix: bull.keys.prefix('lifecycle') },
  );
  await eventually(async () => (await lifecycle.getJob(jobId))?.finishedOn !== undefined, 30_000);
  await failing.close();
  assert.equal(await (await lifecycle.getJob(jobId))!.getState(), 'failed');
  const half = await stores.tenants.partitionKeys(tenant.id);
  assert.ok(half.keys.length > 1, 'the tenant item and its keys remain');
  assert.ok(half.keys.some((k) => k.sk === 'TENANT'));
  assert.equal((await stores.tenants.get(tenant.id))?.status, 'deleting');

  // The reconciler, once the tenant has been stuck a while, queues the purge again, for real.
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const later = manualClock(Date.now() + 10 * 60_000);
  const reconcile = reconcileProcessor({
    clusters: stores.clusters,
    tenants: stores.tenants,
    jobs: lifecycleProducer(h.runtime.queues),
    reclaimLeakedCreates: async () => ({ released: 0, confirmed: 0 }),
    clock: later,
    logger,
  });
  const soon = reconcileProcessor({ clusters: stores.clusters, tenants: stores.tenants, jobs: lifecycleProducer(h.runtime.queues), reclaimLeakedCreates: async () => ({ released: 0, confirmed: 0 }), clock: manualClock(Date.now()), logger });
  assert.deepEqual((await soon()).purges, { pending: 0, added: 0, readded: 0 }, 'a tenant deleted just now is left to its own job');
  assert.deepEqual((await reconcile()).purges, { pending: 0, added: 0, readded: 1 });
  assert.ok(lines.some((l) => l.level === 50 && l.tenantId === tenant.id && l.reason === 'the store went away mid-purge'), 'the reconciler says the purge had failed');
  assert.equal(await (await lifecycle.getJob(jobId))!.getState(), 'waiting');
  assert.deepEqual((await reconcile()).purges, { pending: 1, added: 0, readded: 0 }, 'a pending purge is left alone');

  // The real workers finish it: nothing of the tenant is left but its audit trail.
  await h.runtime.startWorkers();
  await eventually(async () => (await stores.tenants.get(tenant.id)) === undefined, 30_000);
  assert.deepEqual((await stores.tenants.partitionKeys(tenant.id)).keys, []);
  assert.equal((await h.request('GET', `/admin/v1/tenants/${tenant.id}`, { token: admin })).status, 404);
  assert.equal((await h.request('GET', '/v1/tenant', { token: key })).status, 401);
});
