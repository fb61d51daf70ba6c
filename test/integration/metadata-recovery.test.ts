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
/** Files are due at once, and a new group does not wait for more members. */
const LOG = { fileDeleteGraceMs: 0, groups: { initialRebalanceDelayMs: 0 } };

/** A history with every kind of operation, many journal entries and automatic snapshots. */
async function buildHistory(node: MetadataService, cluster: ClusterRef): Promise<{ generationId: number; memberId: string }> {
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
  // The rest of the log: producer ids, delete records, retention, groups and offsets, file reports.
  await node.initProducerId(cluster, {});
  await node.initProducerId(cluster, { transactionalId: 'tx-1' });
  await node.initProducerId(cluster, { transactionalId: 'tx-1' });
  await node.deleteRecords(cluster, { partitions: [{ topic: 'events', partition: 0, offset: 3 }, { topic: 'events', partition: 1, offset: -1 }] });
  await node.createTopic(cluster, { name: 'sized', partitions: 1, config: { 'retention.bytes': 250 } });
  for (let i = 0; i < 4; i++) await commit('sized', 1);
  await node.runMaintenance(cluster);
  await node.commitOffsets(cluster, 'standalone', { offsets: [{ topic: 'events', partition: 2, offset: 4, metadata: 'm' }, { topic: 'sized', partition: 0, offset: 1 }] });
  const joinInput = { clientId: 'app', sessionTimeoutMs: 30_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: '' }] };
  const first = (await node.joinGroup(cluster, 'members', { ...joinInput, memberId: '' })) as { memberId: string };
  const joined = (await node.joinGroup(cluster, 'members', { ...joinInput, memberId: first.memberId })) as { generationId: number; memberId: string };
  await node.syncGroup(cluster, 'members', { memberId: joined.memberId, generationId: joined.generationId, assignments: [{ memberId: joined.memberId, assignment: 'AAE=' }] });
  await node.commitOffsets(cluster, 'members', { memberId: joined.memberId, generationId: joined.generationId, offsets: [{ topic: 'events', partition: 3, offset: 2 }] });
  const due = await node.listDueFiles(cluster, { limit: 2 });
  assert.equal(due.items.length, 2);
  await node.recordFilesDeleted(cluster, due.items.map((f) => f.fileId));
  return joined;
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
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), snapshotEveryEntries: 10, tuning: { snapshotChunkBytes: 2_000 }, log: LOG });
  const b = metadataNode(d, 'node-b', { clock: clockB, log: LOG });
  t.after(() => b.close());
  const cluster = clusterRef({ autoCreateTopics: true });
  const member = await buildHistory(a, cluster);
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
  // The group carries on at node-b: same member, same generation, offsets kept.
  assert.deepEqual(await b.heartbeat(cluster, 'members', member), {});
  assert.deepEqual((await b.fetchOffsets(cluster, 'members')).partitions, [{ topic: 'events', partition: 3, offset: 2, leaderEpoch: -1, metadata: '' }]);
  const idAfter = await b.initProducerId(cluster, {});
  assert.ok(idAfter.producerId >= 1000, `a new leader's producer ids start above the old block (${idAfter.producerId})`);
});

test('an unreadable latest snapshot falls back to the previous one and a longer tail', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), tuning: { snapshotChunkBytes: 1_000 }, log: LOG });
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

test('trimming keeps the last two snapshots and the journal after the older one: recovery and its fallback still work', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), tuning: { snapshotChunkBytes: 1_000 }, log: { ...LOG, trimProtectMs: 0 } });
  const b = metadataNode(d, 'node-b', { clock: clockB, log: LOG });
  t.after(() => b.close());
  const cluster = clusterRef({ autoCreateTopics: true });
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  await buildHistory(a, cluster);
  // A chunk a crash left behind between moving the pointer and deleting the old snapshot.
  await d.db.put(d.tables.metadata, { pk, sk: snapshotChunkSk(1, 0), data: new Uint8Array(10) });
  for (let round = 0; round < 3; round++) {
    await a.snapshotNow(cluster);
    for (let i = 0; i < 4; i++) await a.commitFile(cluster, fileOf(`r${round}-${i}`, [{ topic: 'events', partition: i }]));
  }
  await a.runMaintenance(cluster);
  const pointer = (await snapshotPointer(d, cluster))!;
  const journal = await journalOf(d, cluster);
  assert.equal(journal[0].seq, pointer.previous!.seq + 1, 'the journal starts right after the older snapshot');
  const chunks = new Set<number>();
  for await (const item of d.db.queryAll<{ sk: string }>({ table: d.tables.metadata, keyCondition: 'pk = :pk AND begins_with(sk, :s)', values: { ':pk': pk, ':s': 'S#' } })) {
    chunks.add(Number(item.sk.slice(2, 14)));
  }
  assert.deepEqual([...chunks].sort((x, y) => x - y), [pointer.previous!.seq, pointer.seq], 'only the last two snapshots are stored');
  const before = await a.exportState(cluster);
  a.stopAbruptly();
  // The latest snapshot is damaged: the older one and the journal kept after it still serve.
  await d.db.delete(d.tables.metadata, { pk, sk: snapshotChunkSk(pointer.seq, 0) });
  clockB.advance(5_001);
  assert.ok(Buffer.from(await b.exportState(cluster)).equals(Buffer.from(before)));
});
