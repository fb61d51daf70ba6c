import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterBucket, startHarness, type Harness } from '../helpers/harness';
import { readyCluster } from '../helpers/agent-cluster';

/** POST /agent/v1/clusters/{id}/producer-ids: Kafka InitProducerId through HTTP. */
let h: Harness;
before(async () => {
  h = await startHarness({ workers: true });
});
after(() => h.close());

test('producer ids are unique across calls and leader changes; a transactional id fences its previous instance', async () => {
  const { clusterId, token, readOnlyToken } = await readyCluster(h, 'producers', { topics: [{ name: 'orders', partitions: 1 }] });
  const url = `/agent/v1/clusters/${clusterId}/producer-ids`;
  const init = async (body: object = {}, tok = token) => h.request('POST', url, { token: tok, body });
  const ids = new Set<number>();
  for (let i = 0; i < 20; i++) {
    const r = await init();
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.producerEpoch, 0);
    ids.add(r.body.producerId);
  }
  assert.equal(ids.size, 20);
  // The cluster's leader shuts down; another node takes over and never hands out an id from before.
  await h.runtime.services.metadata.close();
  assert.equal((await init()).status, 503, 'a node shutting down answers a retryable 503');

  const reopened = await startHarness({ workers: false, shareWith: { config: h.config, engines: h.engines } });
  try {
    const send = (body: object) => reopened.request('POST', url, { token, body });
    const fresh = await send({});
    assert.ok(!ids.has(fresh.body.producerId) && fresh.body.producerId > Math.max(...ids), `a new leader's id ${fresh.body.producerId} is above every earlier one`);
    const first = (await send({ transactionalId: 'billing-writer' })).body;
    const second = (await send({ transactionalId: 'billing-writer' })).body;
    assert.deepEqual(second, { producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });
    const batch = (epoch: number, seq: number) => ({ topic: 'orders', partition: 0, byteOffset: 0, byteLength: 10, recordCount: 1, maxTimestamp: -1, producerId: first.producerId, producerEpoch: epoch, baseSequence: seq });
    const commit = (fileId: string, epoch: number, seq: number) =>
      reopened.request('POST', `/agent/v1/clusters/${clusterId}/files`, {
        token,
        body: { fileId, objectKey: `k/${fileId}`, sizeBytes: 10, replicas: [{ region: 'us-east-1', bucket: clusterBucket('producers'), checksum: 'c' }], batches: [batch(epoch, seq)] },
      });
    assert.equal((await commit('zombie', first.producerEpoch, 0)).body.results[0].error, 'INVALID_PRODUCER_EPOCH', 'the previous instance is fenced');
    assert.equal((await commit('current', second.producerEpoch, 0)).body.results[0].baseOffset, 0);
    // KIP-360: bump the pair named; a retry of that bump answers the same; an older pair is fenced.
    const third = (await send({ transactionalId: 'billing-writer', producerId: second.producerId, producerEpoch: second.producerEpoch })).body;
    assert.deepEqual(third, { producerId: first.producerId, producerEpoch: second.producerEpoch + 1 });
    assert.deepEqual((await send({ transactionalId: 'billing-writer', producerId: second.producerId, producerEpoch: second.producerEpoch })).body, third);
    assert.deepEqual((await send({ transactionalId: 'billing-writer', producerId: first.producerId, producerEpoch: first.producerEpoch })).body, {
      producerId: -1,
      producerEpoch: -1,
      error: 'PRODUCER_FENCED',
    });
    assert.equal((await send({ transactionalId: 'billing-writer', transactionTimeoutMs: 3_600_000 })).body.error, 'INVALID_TRANSACTION_TIMEOUT');
    // Shape problems are 400s; a read-only agent may not allocate.
    assert.deepEqual([(await send({ producerId: 5 })).status, (await send({ producerId: 5 })).body.code], [400, 'invalid_producer_fields']);
    assert.deepEqual([(await send({ transactionalId: '' })).status, (await send({ transactionalId: 'a', extra: 1 })).body.code], [400, 'unknown_field']);
    const ro = await reopened.request('POST', url, { token: await readOnlyToken(), body: {} });
    assert.deepEqual([ro.status, ro.body.code], [403, 'read_only_agent']);
  } finally {
    await reopened.close();
  }
});
