import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { decodeEntry } from '../../services/metadata/ops';
import { clusterPk, snapshotChunkSk } from '../../services/metadata/keys';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/** The service on a real (in-memory) dynalite: leadership, idempotency, group commit, snapshots. */

async function withDynamo(t: { after(fn: () => Promise<void>): void }): Promise<TestDynamo> {
  const d = await startTestDynamo();
  t.after(() => d.close());
  return d;
}

test('one node leads; another answers not_leader naming it, and takes over at once after a graceful close', async (t) => {
  const d = await withDynamo(t);
  const clock = manualClock(1_800_000_000_000);
  const a = metadataNode(d, 'node-a', { clock });
  const b = metadataNode(d, 'node-b', { clock });
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const cluster = clusterRef();
  const created = await a.createTopic(cluster, { name: 'orders', partitions: 3, config: { 'retention.ms': 60_000 } });
  assert.equal(created.partitions, 3);
  assert.equal(created.topicId.length, 22);
  const e = await rejectsWith(b.listTopics(cluster), 503, 'not_leader');
  assert.equal(e.extra.leader, 'node-a.internal:9443');
  assert.equal(e.extra.retryable, true);
  // A second cluster is independent: b leads it.
  const other = clusterRef({ clusterId: 'vci_other' });
  await b.createTopic(other, { name: 'x', partitions: 1 });
  await rejectsWith(a.listTopics(other), 503, 'not_leader');

  await a.commitFile(cluster, fileOf('f1', [{ topic: 'orders', partition: 1, recordCount: 5 }]));
  await a.close();
  const desc = await b.describeTopic(cluster, 'orders');
  assert.equal(desc.topicId, created.topicId);
  assert.deepEqual(desc.partitionDetails.map((p) => p.highWatermark), [0, 5, 0]);
  assert.deepEqual(desc.config, { 'retention.ms': 60_000, 'retention.bytes': -1, 'cleanup.policy': 'delete' });
  await rejectsWith(a.listTopics(cluster), 503, 'shutting_down');
});

test('a retried commit returns the original offsets and writes nothing; another body under the same fileId is refused', async (t) => {
  const d = await withDynamo(t);
  const node = metadataNode(d, 'node-a');
  t.after(() => node.close());
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 't', partitions: 2 });
  const file = fileOf('file-1', [{ topic: 't', partition: 0, recordCount: 3 }, { topic: 't', partition: 1 }, { topic: 'missing', partition: 0 }]);
  const first = await node.commitFile(cluster, file);
  assert.deepEqual(first, {
    fileId: 'file-1',
    duplicate: false,
    results: [
      { topic: 't', partition: 0, baseOffset: 0, lastOffset: 2, duplicate: false },
      { topic: 't', partition: 1, baseOffset: 0, lastOffset: 0, duplicate: false },
      { topic: 'missing', partition: 0, error: 'UNKNOWN_TOPIC_OR_PARTITION' },
    ],
  });
  await node.commitFile(cluster, fileOf('file-2', [{ topic: 't', partition: 0 }]));
  const journal = await journalOf(d, cluster);
  const state = await node.exportState(cluster);
  const again = await node.commitFile(cluster, structuredClone(file));
  assert.deepEqual(again, { ...first, duplicate: true });
  // Replicas in another order are the same body.
  assert.equal((await node.commitFile(cluster, { ...file, replicas: [...file.replicas].reverse() })).duplicate, true);
  await rejectsWith(node.commitFile(cluster, { ...file, objectKey: 'objects/elsewhere' }), 409, 'file_id_conflict');
  assert.equal((await journalOf(d, cluster)).length, journal.length, 'nothing was appended');
  assert.deepEqual(await node.exportState(cluster), state);
});

test('group commit: concurrent commits share journal entries, each answered once durable with unique offsets', async (t) => {
  const d = await withDynamo(t);
  const node = metadataNode(d, 'node-a');
  t.after(() => node.close());
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 't', partitions: 1 });
  const before = (await journalOf(d, cluster)).length;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => node.commitFile(cluster, fileOf(`g${i}`, [{ topic: 't', partition: 0, recordCount: 2 }]))));
  const bases = results.map((r) => (r.results[0] as { baseOffset: number }).baseOffset).sort((x, y) => x - y);
  assert.deepEqual(bases, Array.from({ length: 200 }, (_, i) => i * 2));
  const appended = (await journalOf(d, cluster)).length - before;
  assert.ok(appended >= 1 && appended <= 5, `200 commits took ${appended} entries`);
});

test('a read never shows a commit before the commit is acknowledged', async (t) => {
  const d = await withDynamo(t);
  const node = metadataNode(d, 'node-a');
  t.after(() => node.close());
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 't', partitions: 1 });
  for (let i = 0; i < 30; i++) {
    let acknowledged = false;
    const commit = node.commitFile(cluster, fileOf(`r${i}`, [{ topic: 't', partition: 0 }])).then(() => (acknowledged = true));
    const seen = await node.listOffsets(cluster, { partitions: [{ topic: 't', partition: 0, timestamp: -1 }] });
    if (seen.partitions[0].offset > i) assert.ok(acknowledged, `offset ${i} was visible before its commit was acknowledged`);
    await commit;
  }
});

test('large groups are split into several entries under the size limit; a request too big for one entry is refused', async (t) => {
  const d = await withDynamo(t);
  const node = metadataNode(d, 'node-a', { tuning: { maxEntryBytes: 3_000 } });
  t.after(() => node.close());
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 't', partitions: 4 });
  const acks = await Promise.all(
    Array.from({ length: 60 }, (_, i) => node.commitFile(cluster, fileOf(`s${i}`, Array.from({ length: 4 }, (_, p) => ({ topic: 't', partition: p }))))),
  );
  assert.equal(acks.length, 60);
  const journal = await journalOf(d, cluster);
  assert.ok(journal.every((e) => e.data.length <= 3_000));
  const commitsPerEntry = journal.map((e) => decodeEntry(e.data).filter((op) => op.type === 'commitFile').length);
  assert.ok(commitsPerEntry.some((n) => n > 1), 'entries hold several commits');
  assert.equal(commitsPerEntry.reduce((a, b) => a + b, 0), 60);
  const state = await node.exportState(cluster);
  const big = fileOf('big', Array.from({ length: 400 }, () => ({ topic: 't', partition: 0 })));
  await rejectsWith(node.commitFile(cluster, big), 422, 'commit_too_large');
  assert.deepEqual(await node.exportState(cluster), state);
  // A successor replays the split entries to the same state.
  await node.close();
  const next = metadataNode(d, 'node-b');
  t.after(() => next.close());
  assert.deepEqual(await next.exportState(cluster), state);
});

test('snapshots are written in chunks behind a pointer; chunks of superseded snapshots are deleted', async (t) => {
  const d = await withDynamo(t);
  const node = metadataNode(d, 'node-a', { tuning: { snapshotChunkBytes: 200 } });
  t.after(() => node.close());
  const cluster = clusterRef();
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  await node.createTopic(cluster, { name: 't', partitions: 2 });
  const snapshotSeqs: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) await node.commitFile(cluster, fileOf(`f${round}-${i}`, [{ topic: 't', partition: i % 2 }]));
    snapshotSeqs.push(await node.snapshotNow(cluster));
  }
  const pointer = await d.db.get<{ seq: number; chunks: number; previous: { seq: number } }>(d.tables.metadata, { pk, sk: 'SNAP' });
  assert.equal(pointer!.seq, snapshotSeqs[2]);
  assert.equal(pointer!.previous.seq, snapshotSeqs[1]);
  assert.ok(pointer!.chunks > 3, `${pointer!.chunks} chunks`);
  const chunkSeqs = new Set<number>();
  for await (const item of d.db.queryAll<{ sk: string }>({ table: d.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :s)', values: { ':pk': pk, ':s': 'S#' } })) {
    chunkSeqs.add(Number(item.sk.split('#')[1]));
  }
  assert.deepEqual([...chunkSeqs].sort((x, y) => x - y), snapshotSeqs.slice(1), 'the oldest snapshot is gone, the previous one is kept');
  assert.ok(await d.db.get(d.tables.metadata, { pk, sk: snapshotChunkSk(snapshotSeqs[2], pointer!.chunks - 1) }));
  // Asking again without changes writes nothing new.
  assert.equal(await node.snapshotNow(cluster), snapshotSeqs[2]);
});

test('dropCluster unloads the cluster and releases its lease', async (t) => {
  const d = await withDynamo(t);
  const a = metadataNode(d, 'node-a');
  const b = metadataNode(d, 'node-b');
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 't', partitions: 1 });
  assert.equal(a.status().length, 1);
  await a.dropCluster(cluster.tenantId, cluster.clusterId);
  assert.equal(a.status().length, 0);
  assert.deepEqual((await b.listTopics(cluster)).map((x) => x.name), ['t']);
});

test('a cluster provisioned with an unheld lease item (epoch 0) is taken at epoch 1', async (t) => {
  const d = await withDynamo(t);
  const cluster = clusterRef();
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  await d.db.put(d.tables.metadata, { pk, sk: 'LEASE', holder: null, holderAddress: null, epoch: 0, expiresAt: 0, tenantId: cluster.tenantId, clusterId: cluster.clusterId, createdAt: '2027-01-01T00:00:00.000Z', formatVersion: 1 });
  const node = metadataNode(d, 'node-a');
  t.after(() => node.close());
  assert.deepEqual(await node.listTopics(cluster), []);
  assert.equal(node.status()[0].epoch, 1);
  const lease = await d.db.get<{ holder: string; holderAddress: string; epoch: number }>(d.tables.metadata, { pk, sk: 'LEASE' });
  assert.deepEqual([lease!.holder, lease!.holderAddress, lease!.epoch], ['node-a', 'node-a.internal:9443', 1]);
  await node.close();
  const released = await d.db.get<{ holder: string | null; expiresAt: number }>(d.tables.metadata, { pk, sk: 'LEASE' });
  assert.deepEqual([released!.holder, released!.expiresAt], [null, 0]);
});
