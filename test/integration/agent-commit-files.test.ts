import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { clusterBucket, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';

/**
 * POST /agent/v1/clusters/{id}/files/batch: several files in one request, committed as if one
 * after another, answered per file; a file refused on its merits does not stop the others.
 */
let h: Harness;
let cluster: Awaited<ReturnType<typeof readyCluster>>;
before(async () => {
  h = await startHarness();
  cluster = await readyCluster(h, 'batches', { topics: [{ name: 'orders', partitions: 2 }] });
});
after(() => h.close());

type Batch = { partition: number; records?: number; producer?: { id: number; epoch: number; seq: number } };
const file = (fileId: string, batches: Batch[], extra: Record<string, unknown> = {}) => ({
  fileId,
  objectKey: `data/${fileId}`,
  sizeBytes: 100 * batches.length,
  replicas: [{ region: 'us-east-1', bucket: clusterBucket('batches'), checksum: `c-${fileId}` }],
  batches: batches.map((b, i) => ({
    topic: 'orders',
    partition: b.partition,
    byteOffset: 100 * i,
    byteLength: 100,
    recordCount: b.records ?? 2,
    maxTimestamp: 1_700_000_000_000,
    ...(b.producer ? { producerId: b.producer.id, producerEpoch: b.producer.epoch, baseSequence: b.producer.seq } : {}),
  })),
  ...extra,
});
const commitMany = (files: unknown[], token = cluster.token) => h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/files/batch`, { token, body: { files } });
const commitOne = (f: unknown) => h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/files`, { token: cluster.token, body: f });
const offsets = (answer: { results: { baseOffset: number; lastOffset: number }[] }) => answer.results.map((r) => [r.baseOffset, r.lastOffset]);

test('files in one request get offsets in request order, each answered as its own commit; a retry answers the same as duplicates', async () => {
  const files = [file('m-1', [{ partition: 0 }, { partition: 1, records: 5 }]), file('m-2', [{ partition: 0, records: 3 }]), file('m-3', [{ partition: 1 }, { partition: 0 }])];
  const r = await commitMany(files);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.files.map((f: { fileId: string; status: number; duplicate: boolean }) => [f.fileId, f.status, f.duplicate]), [['m-1', 200, false], ['m-2', 200, false], ['m-3', 200, false]]);
  assert.deepEqual(r.body.files.map(offsets), [[[0, 1], [0, 4]], [[2, 4]], [[5, 6], [5, 6]]]);

  const retry = await commitMany(files);
  assert.deepEqual(retry.body.files.map((f: { duplicate: boolean }) => f.duplicate), [true, true, true]);
  assert.deepEqual(retry.body.files.map(offsets), r.body.files.map(offsets), 'the same offsets again');
  // Each file is a commit of its own: the single-file route sees it as already committed.
  const single = await commitOne(files[1]);
  assert.deepEqual([single.body.duplicate, offsets(single.body)], [true, [[2, 4]]]);
  const plan = await h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/fetch-plan`, { token: cluster.token, body: { partitions: [{ topic: 'orders', partition: 0, offset: 0, maxBytes: 1e6 }], maxBytes: 1e6 } });
  assert.deepEqual(plan.body.partitions[0].batches.map((b: { fileId: string; baseOffset: number }) => [b.fileId, b.baseOffset]), [['m-1', 0], ['m-2', 2], ['m-3', 5]]);
  assert.equal(plan.body.partitions[0].highWatermark, 7);
});

test('a file refused on its merits gets its own 4xx and problem; the others are committed and the refused wrote nothing', async () => {
  assert.equal((await commitOne(file('x-known', [{ partition: 1 }]))).status, 200);
  const before = (await h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/list-offsets`, { token: cluster.token, body: { partitions: [{ topic: 'orders', partition: 1, timestamp: -1 }] } })).body.partitions[0].offset;
  const outside = file('x-outside', [{ partition: 1 }]);
  outside.batches[0].byteOffset = 1000; // past the end of the file
  const r = await commitMany([
    file('x-known', [{ partition: 1 }, { partition: 1 }]), // the same fileId with another body
    outside,
    file('x-good', [{ partition: 1, records: 4 }]),
    file('x-badregion', [{ partition: 1 }], { replicas: [{ region: 'eu-north-9', bucket: 's3://elsewhere', checksum: 'c' }] }),
  ]);
  assert.equal(r.status, 200, r.text);
  const answers = r.body.files as { fileId: string; status: number; problem?: { code: string; detail: string }; results?: unknown[] }[];
  assert.deepEqual(answers.map((a) => [a.fileId, a.status, a.problem?.code]), [
    ['x-known', 409, 'file_id_conflict'],
    ['x-outside', 400, 'batch_outside_file'],
    ['x-good', 200, undefined],
    ['x-badregion', 422, 'unknown_replica_region'],
  ]);
  for (const a of answers) if (a.problem) assert.ok(a.problem.detail.length > 0 && a.results === undefined, `${a.fileId}: a detail and no results`);
  assert.deepEqual(offsets(answers[2] as never), [[before, before + 3]], 'only the good file took offsets');
  const after = (await h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/list-offsets`, { token: cluster.token, body: { partitions: [{ topic: 'orders', partition: 1, timestamp: -1 }] } })).body.partitions[0].offset;
  assert.equal(after, before + 4);
});

test('order holds within a request: an idempotent producer\'s next file right behind its first is in sequence, the other way round is not', async () => {
  const ids = await h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/producer-ids`, { token: cluster.token, body: {} });
  const producer = (seq: number) => ({ id: ids.body.producerId as number, epoch: ids.body.producerEpoch as number, seq });
  const inOrder = await commitMany([file('p-1', [{ partition: 0, records: 3, producer: producer(0) }]), file('p-2', [{ partition: 0, records: 3, producer: producer(3) }])]);
  assert.deepEqual(inOrder.body.files.map((f: { results: { error?: string }[] }) => f.results[0].error), [undefined, undefined]);
  const swapped = await commitMany([file('p-4', [{ partition: 0, records: 3, producer: producer(9) }]), file('p-3', [{ partition: 0, records: 3, producer: producer(6) }])]);
  assert.deepEqual(swapped.body.files.map((f: { results: { error?: string }[] }) => f.results[0].error), ['OUT_OF_ORDER_SEQUENCE', undefined]);
});

test('shape problems refuse the whole request; read-only agents may not commit; MessagePack works as on the single route', async () => {
  const many = Array.from({ length: 33 }, (_, i) => file(`s-${i}`, [{ partition: 0 }]));
  const tooMany = await commitMany(many);
  assert.deepEqual([tooMany.status, tooMany.body.code], [400, 'invalid_body']);
  assert.deepEqual([(await commitMany([])).status, (await commitMany([])).body.code], [400, 'invalid_body']);
  const unknown = await h.request('POST', `/agent/v1/clusters/${cluster.clusterId}/files/batch`, { token: cluster.token, body: { files: [file('s-x', [{ partition: 0 }])], flush: true } });
  assert.deepEqual([unknown.status, unknown.body.code], [400, 'unknown_field']);
  const badBatch = await commitMany([file('s-y', [{ partition: 0 }], { sizeBytes: -1 })]);
  assert.deepEqual([badBatch.status, badBatch.body.code], [400, 'invalid_body'], 'a schema error in any file refuses the request');
  const ro = await commitMany([file('s-ro', [{ partition: 0 }])], await cluster.readOnlyToken());
  assert.deepEqual([ro.status, ro.body.code], [403, 'read_only_agent']);

  const res = await h.app.inject({
    method: 'POST',
    url: `/agent/v1/clusters/${cluster.clusterId}/files/batch`,
    headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/msgpack', accept: 'application/msgpack' },
    payload: pack({ files: [file('s-pack-1', [{ partition: 1 }]), file('s-pack-2', [{ partition: 1 }])] }),
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = unpack(res.rawPayload);
  assert.deepEqual(body.files.map((f: { fileId: string; status: number }) => [f.fileId, f.status]), [['s-pack-1', 200], ['s-pack-2', 200]]);
  assert.equal(body.files[1].results[0].baseOffset, body.files[0].results[0].lastOffset + 1);
});
