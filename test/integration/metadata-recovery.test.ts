import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { clusterPk, snapshotChunkSk } from '../../services/metadata/keys';
import type { MetadataService } from '../../services/metadata/service';
import type { ClusterRef } from '../../services/metadata/types';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/**
 * Recovery from the latest snapshot plus the journal tail rebuilds the state the crashed
 * leader held, byte for byte in its canonical encoding.
 */

const T0 = 1_800_000_000_000;

/** A history with every kind of operation, many journal entries and automatic snapshots. */
async function buildHistory(node: MetadataService, cluster: ClusterRef): Promise<void> {
  await node.createTopic(cluster, { name: 'events', partitions: 6, config: { 'retention.ms': 3_600_000 } });
  await node.createTopic(cluster, { name: 'doomed', partitions: 2 });
  let n = 0;
  const commit = (topic: string, partitions: number, producer?: { id: number; epoch: number; seq: number }) =>
    node.commitFile(cluster, fileOf(`h${n++}`, Array.from({ length: 3 }, (_, i) => ({ topic, partition: (n + i) % partitions, recordCount: 1 + (n % 4), maxTimestamp: T0 + n, producer }))));
  for (let round = 0; round < 8; round++) {
    await Promise.all(Array.from({ length: 12 }, () => commit('events', 6)));
    await commit('doomed', 2);
    await commit(`auto-${round % 3}`, 2);
  }
  for (let seq = 0; seq < 12; seq += 3) await commit('events', 6, { id: 42, epoch: 0, seq });
  await node.updateTopic(cluster, 'events', { partitions: 8, config: { 'retention.bytes': 1_000_000 } });
  await node.deleteTopic(cluster, 'doomed');
}

async function snapshotPointer(d: TestDynamo, cluster: ClusterRef) {
  return d.db.get<{ seq: number; chunks: number; previous: { seq: number; chunks: number } | null }>(d.tables.metadata, {
    pk: clusterPk(cluster.tenantId, cluster.clusterId),
    sk: 'SNAP',
  });
}

test('recovery from snapshot + tail equals the state before the crash, byte for byte', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), snapshotEveryEntries: 10, tuning: { snapshotChunkBytes: 2_000 } });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => b.close());
  const cluster = clusterRef({ autoCreateTopics: true });
  await buildHistory(a, cluster);
  // Settle on a snapshot, then leave a tail shorter than the snapshot interval.
  await a.snapshotNow(cluster);
  for (let i = 0; i < 7; i++) await a.commitFile(cluster, fileOf(`tail-${i}`, [{ topic: 'events', partition: 7 }]));
  const before = await a.exportState(cluster);
  const pointer = await snapshotPointer(d, cluster);
  const journal = await journalOf(d, cluster);
  const lastSeq = journal[journal.length - 1].seq;
  assert.ok(pointer && pointer.chunks > 1, 'the snapshot spans several chunks');
  assert.ok(lastSeq - pointer.seq >= 7, `a tail of ${lastSeq - pointer.seq} entries remains`);
  a.stopAbruptly();

  clockB.advance(5_001);
  const after = await b.exportState(cluster);
  assert.ok(before.length > 1_000);
  assert.deepEqual(Buffer.from(after).equals(Buffer.from(before)), true, 'recovered state encodes identically');
  const status = b.status()[0];
  assert.equal(status.nextSeq, lastSeq + 2, 'node-b fenced right after the last entry');
  // And it keeps working where node-a left off.
  const next = await b.commitFile(cluster, fileOf('after', [{ topic: 'events', partition: 7 }]));
  assert.deepEqual(next.results[0], { topic: 'events', partition: 7, baseOffset: 7, lastOffset: 7, duplicate: false });
});

test('an unreadable latest snapshot falls back to the previous one and a longer tail', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), tuning: { snapshotChunkBytes: 1_000 } });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => b.close());
  const cluster = clusterRef({ autoCreateTopics: true });
  await buildHistory(a, cluster);
  await a.snapshotNow(cluster);
  for (let i = 0; i < 5; i++) await a.commitFile(cluster, fileOf(`mid-${i}`, [{ topic: 'events', partition: i }]));
  await a.snapshotNow(cluster);
  for (let i = 0; i < 5; i++) await a.commitFile(cluster, fileOf(`tail-${i}`, [{ topic: 'events', partition: i }]));
  const before = await a.exportState(cluster);
  a.stopAbruptly();

  const pointer = (await snapshotPointer(d, cluster))!;
  assert.ok(pointer.previous);
  await d.db.delete(d.tables.metadata, { pk: clusterPk(cluster.tenantId, cluster.clusterId), sk: snapshotChunkSk(pointer.seq, 1) });
  clockB.advance(5_001);
  assert.ok(Buffer.from(await b.exportState(cluster)).equals(Buffer.from(before)));
});
