import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPk } from '../../shared/keys';
import { isAppError } from '../../shared/errors';
import { eventually, singleRegionCluster, startHarness } from '../helpers/harness';
import { fileOf } from '../helpers/metadata';

/**
 * Two control-plane processes on one store and Redis, split roles: `a` runs the workers (the
 * destroy job), `b` serves the API only and leads the cluster's metadata. Deleting the cluster
 * through `a` must stop `b` from acknowledging, and leave nothing of the cluster behind that
 * `b` could write into, even though `b`'s cluster cache still says `ready`.
 */
test('deleting a cluster fences its leader on another process before the purge; nothing is left behind', async (t) => {
  const env = { HM_LEASE_MS: '1000' };
  const a = await startHarness({ env });
  t.after(() => a.close());
  const b = await startHarness({ shareWith: a, workers: false, env });
  t.after(() => b.close());
  const { tenant, key } = await a.createTenant('pro', 'Split');
  const id = (await a.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('split') })).body.id as string;
  await eventually(async () => (await a.request('GET', `/v1/clusters/${id}`, { token: key })).body.status === 'ready');

  // `b` leads the cluster: its cache holds the cluster as ready, its sequencer commits.
  const ref = await b.runtime.services.clusterAccess(tenant.id, id);
  const metadata = b.runtime.services.metadata;
  await metadata.createTopic(ref, { name: 'orders', partitions: 2 });
  let n = 0;
  // Replicas name the cluster's own bucket.
  const commit = () => metadata.commitFile(ref, { ...fileOf(`f-${n++}`, [{ topic: 'orders', partition: n % 2 }]), replicas: [{ region: 'us-east-1', bucket: 's3://acme-split/data', checksum: 'c' }] });
  await commit();
  assert.equal(metadata.status().length, 1);

  assert.equal((await a.request('DELETE', `/v1/clusters/${id}`, { token: key })).status, 202);
  await eventually(async () => (await a.request('GET', `/v1/clusters/${id}`, { token: key })).body.status === 'deleted', 30_000);

  // `b` stopped leading and cannot lead again; its commits are refused, not acknowledged.
  const refused = await commit().then(
    () => 'acknowledged',
    (e) => (isAppError(e) ? `${e.status} ${e.code}` : String(e)),
  );
  assert.equal(refused, '409 cluster_deleting');
  const left: string[] = [];
  for await (const it of b.runtime.db.queryAll<{ sk: string }>({ table: b.runtime.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': clusterPk(tenant.id, id) } })) left.push(it.sk);
  assert.deepEqual(left, ['LEASE'], 'only the lease tombstone remains');
});
