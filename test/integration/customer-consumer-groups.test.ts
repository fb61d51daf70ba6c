import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBucket, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';

/** GET /v1/clusters/{id}/consumer-groups and …/{group}: the customer's view. */
let h: Harness;
before(async () => {
  h = await startHarness({ workers: true });
});
after(() => h.close());

test('groups are listed by name in pages; a group shows its committed offsets and lag per partition', async () => {
  const { key, clusterId, token } = await readyCluster(h, 'views', { topics: [{ name: 'orders', partitions: 2 }] });
  const agent = (method: string, path: string, body?: unknown) => h.request(method, `/agent/v1/clusters/${clusterId}${path}`, { token, body });
  const produced = await agent('POST', '/files', {
    fileId: 'f1',
    objectKey: 'data/f1',
    sizeBytes: 200,
    replicas: [{ region: 'us-east-1', bucket: clusterBucket('views'), checksum: 'c1' }],
    batches: [
      { topic: 'orders', partition: 0, byteOffset: 0, byteLength: 100, recordCount: 50, maxTimestamp: -1 },
      { topic: 'orders', partition: 1, byteOffset: 100, byteLength: 100, recordCount: 20, maxTimestamp: -1 },
    ],
  });
  assert.equal(produced.status, 200, produced.text);
  for (const [group, offset] of [['beta', 30], ['alpha', 50], ['gamma', 60]] as const) {
    const r = await agent('PUT', `/consumer-groups/${group}/offsets`, { offsets: [{ topic: 'orders', partition: 0, offset }, { topic: 'orders', partition: 1, offset: 5 }] });
    assert.equal(r.status, 200, r.text);
  }
  const list = (query = '') => h.request('GET', `/v1/clusters/${clusterId}/consumer-groups${query}`, { token: key });
  const first = await list('?limit=2');
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body.items, [
    { group: 'alpha', state: 'Empty', protocolType: '', members: 0 },
    { group: 'beta', state: 'Empty', protocolType: '', members: 0 },
  ]);
  const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
  assert.deepEqual([second.body.items.map((g: { group: string }) => g.group), second.body.nextCursor], [['gamma'], null]);
  assert.deepEqual([(await list('?cursor=%25%25')).status, (await list('?cursor=%25%25')).body.code], [400, 'invalid_cursor']);

  const beta = await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/beta`, { token: key });
  assert.equal(beta.status, 200, beta.text);
  assert.deepEqual(
    beta.body.offsets.map((o: Record<string, number>) => [o.partition, o.committedOffset, o.highWatermark, o.lag]),
    [[0, 30, 50, 20], [1, 5, 20, 15]],
  );
  assert.equal(beta.body.totalLag, 35);
  assert.equal((await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/nobody`, { token: key })).status, 404);

  // Scopes and tenants: a key without topics:read is refused; another tenant sees nothing.
  const narrow = await h.request('POST', '/v1/api-keys', { token: key, body: { name: 'narrow', scopes: ['clusters:read'] } });
  const refused = await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups`, { token: narrow.body.secret });
  assert.equal(refused.status, 403);
  const { key: otherKey } = await h.createTenant('pro', 'Other Co');
  const foreign = await h.request('GET', `/v1/clusters/${clusterId}/consumer-groups/beta`, { token: otherKey });
  assert.deepEqual([foreign.status, foreign.body.code], [404, 'cluster_not_found']);
});
