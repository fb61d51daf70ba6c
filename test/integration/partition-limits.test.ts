import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, singleRegionCluster, startHarness, type Harness } from '../helpers/harness';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(() => h.close());

// Issue 8: the partition cap comes from one source, the cluster's tier limits with the
// tenant's overrides; request schemas no longer restate a tier's figure (they used to cap a
// topic at 200,000 and a cluster's default at 10,000, whatever the plan said).
test('the partition cap is the tier limit with overrides: schemas do not restate it', async () => {
  const admin = await h.adminToken();
  const { tenant, key } = await h.createTenant('dev', 'Partition Co');
  // Dev allows 4,096 partitions; negotiated up to 20,000 for this tenant.
  const raised = await h.request('PATCH', `/admin/v1/tenants/${tenant.id}`, { token: admin, body: { limitOverrides: { partitionsPerCluster: 20_000 } } });
  assert.equal(raised.status, 200, raised.text);

  // A default above the old schema bound (10,000) but within the override is accepted...
  const c = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('wide', { config: { defaultPartitions: 12_000 } }) });
  assert.equal(c.status, 202, c.text);
  // ...and one above the override is refused by the tier rule, not by the schema.
  const over = await h.request('POST', '/v1/clusters', { token: key, body: singleRegionCluster('wider', { config: { defaultPartitions: 20_001 } }) });
  assert.equal(over.status, 422, over.text);
  assert.equal(over.body.code, 'partitions_exceed_tier');
  await eventually(async () => (await h.request('GET', `/v1/clusters/${c.body.id}`, { token: key })).body.status === 'ready', 30_000);

  // A topic above the old schema bound (200,000) gets the tier's answer, naming the limit.
  const huge = await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 'huge', partitions: 250_000 } });
  assert.equal(huge.status, 422, huge.text);
  assert.equal(huge.body.code, 'partition_limit_exceeded');
  assert.equal(huge.body.limit, 20_000);
  const fits = await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 'fits', partitions: 8 } });
  assert.equal(fits.status, 201, fits.text);
  const grow = await h.request('PATCH', `/v1/clusters/${c.body.id}/topics/fits`, { token: key, body: { partitions: 20_001 } });
  assert.equal(grow.status, 422, grow.text);
  assert.equal(grow.body.code, 'partition_limit_exceeded');
  // Beyond any limit a plan could have is a malformed request.
  const absurd = await h.request('POST', `/v1/clusters/${c.body.id}/topics`, { token: key, body: { name: 'absurd', partitions: 2 ** 40 } });
  assert.equal(absurd.status, 400, absurd.text);
});
