import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBucket, eventually, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';

/** POST /agent/v1/clusters/{id}/delete-records, and what it does to reads and to files. */
let h: Harness;
before(async () => {
  // Files are due for deletion as soon as they are marked.
  h = await startHarness({ workers: true, env: { HM_FILE_DELETE_GRACE_MS: '0', HM_MAINTENANCE_EVERY_MS: '100' } });
});
after(() => h.close());

test('delete records advances log starts with per-partition errors; reads follow; emptied files show as due', async () => {
  const { key, clusterId, token, readOnlyToken } = await readyCluster(h, 'deletes', { topics: [{ name: 'orders', partitions: 2 }] });
  const agent = (method: string, path: string, body?: unknown) => h.request(method, `/agent/v1/clusters/${clusterId}${path}`, { token, body });
  const file = (fileId: string, partitions: number[]) => ({
    fileId,
    objectKey: `data/${fileId}`,
    sizeBytes: 100 * partitions.length,
    replicas: [{ region: 'us-east-1', bucket: clusterBucket('deletes'), checksum: `c-${fileId}` }],
    batches: partitions.map((partition, i) => ({ topic: 'orders', partition, byteOffset: 100 * i, byteLength: 100, recordCount: 10, maxTimestamp: Date.now() + i })),
  });
  assert.equal((await agent('POST', '/files', file('f1', [0, 1]))).status, 200);
  assert.equal((await agent('POST', '/files', file('f2', [0]))).status, 200);
  // The cluster view shows the files by state as the leader counts them after each maintenance pass.
  const files = async () => {
    const { countedAt, ...counts } = (await h.request('GET', `/v1/clusters/${clusterId}`, { token: key })).body.files ?? {};
    return countedAt ? JSON.stringify(counts) : undefined;
  };
  const expect = (live: number[], marked: number[], due: number[]) =>
    eventually(async () => (await files()) === JSON.stringify({ live: { count: live[0], bytes: live[1] }, markedForDeletion: { count: marked[0], bytes: marked[1] }, due: { count: due[0], bytes: due[1] } }));
  await expect([2, 300], [0, 0], [0, 0]);

  const r = await agent('POST', '/delete-records', {
    partitions: [
      { topic: 'orders', partition: 0, offset: 15 },
      { topic: 'orders', partition: 1, offset: -1 },
      { topic: 'orders', partition: 7, offset: 0 },
      { topic: 'ghost', partition: 0, offset: 0 },
    ],
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.partitions, [
    { topic: 'orders', partition: 0, lowWatermark: 15 },
    { topic: 'orders', partition: 1, lowWatermark: 10 },
    { topic: 'orders', partition: 7, lowWatermark: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' },
    { topic: 'ghost', partition: 0, lowWatermark: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' },
  ]);
  assert.deepEqual((await agent('POST', '/delete-records', { partitions: [{ topic: 'orders', partition: 0, offset: 21 }] })).body.partitions[0].error, 'OFFSET_OUT_OF_RANGE');
  const plan = await agent('POST', '/fetch-plan', { partitions: [{ topic: 'orders', partition: 0, offset: 0, maxBytes: 1000 }, { topic: 'orders', partition: 0 + 1, offset: 10, maxBytes: 1000 }], maxBytes: 10_000 });
  assert.deepEqual(plan.body.partitions.map((p: { error?: string; logStartOffset: number }) => [p.error ?? 'ok', p.logStartOffset]), [['OFFSET_OUT_OF_RANGE', 15], ['ok', 10]]);
  const earliest = await agent('POST', '/list-offsets', { partitions: [{ topic: 'orders', partition: 0, timestamp: -2 }] });
  assert.equal(earliest.body.partitions[0].offset, 15);
  const topic = await h.request('GET', `/v1/clusters/${clusterId}/topics/orders`, { token: key });
  assert.deepEqual(topic.body.partitionDetails.map((p: { logStartOffset: number; bytes: number }) => [p.logStartOffset, p.bytes]), [[15, 100], [10, 0]]);
  // f1 lost both of its batches (partition 0's first batch ended at 9; partition 1 is empty): it is marked, and due at once here.
  await expect([1, 100], [0, 0], [1, 200]);

  assert.deepEqual((await agent('POST', '/delete-records', { partitions: [{ topic: 'orders', partition: 0, offset: -2 }] })).status, 400);
  assert.deepEqual((await agent('POST', '/delete-records', { partitions: [] })).body.code, 'invalid_body');
  const ro = await h.request('POST', `/agent/v1/clusters/${clusterId}/delete-records`, { token: await readOnlyToken(), body: { partitions: [{ topic: 'orders', partition: 0, offset: -1 }] } });
  assert.deepEqual([ro.status, ro.body.code], [403, 'read_only_agent']);
});
