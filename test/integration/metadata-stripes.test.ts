import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { clusterPk } from '../../shared/keys';
import { journalStore } from '../../services/metadata/journal-store';
import { journalLayout, stripePks } from '../../services/metadata/journal-stripes';
import { journalSk } from '../../services/metadata/keys';
import { decodeEntry } from '../../services/metadata/ops';
import { metadataHome } from '../../services/metadata/retirement';
import type { ClusterRef } from '../../services/metadata/types';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/**
 * A striped journal (journal-stripes.ts): slot `seq` lives under the key of stripe seq mod N,
 * one item written once with attribute_not_exists, so the fence, recovery, trimming, the read
 * barrier and deletion work exactly as on one key. A 1-stripe journal is the old layout.
 */

const T0 = 1_800_000_000_000;
const STRIPES = 4;
const striped = (over: Partial<ClusterRef> = {}) => clusterRef({ journalStripes: STRIPES, ...over });
let n = 0;
const file = (partition = n % 4) => fileOf(`s-${n++}`, [{ topic: 't', partition, recordCount: 3 }]);

async function keysUnder(d: TestDynamo, pk: string): Promise<string[]> {
  const out: string[] = [];
  for await (const it of d.db.queryAll<{ sk: string }>({ table: d.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': pk } })) out.push(it.sk);
  return out;
}

test('a striped journal puts slot seq under stripe seq mod N, one item each; a 1-stripe journal stays under the cluster key', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const node = metadataNode(d, 'node-a');
  t.after(() => node.close());
  const four = striped({ clusterId: 'vci_four' });
  const one = clusterRef({ clusterId: 'vci_one', journalStripes: 1 });
  for (const c of [four, one]) {
    await node.createTopic(c, { name: 't', partitions: 4 });
    for (let i = 0; i < 10; i++) await node.commitFile(c, file());
  }
  const pk4 = clusterPk(four.tenantId, four.clusterId);
  const journal = await journalOf(d, four);
  assert.deepEqual(journal.map((e) => e.seq), Array.from({ length: journal.length }, (_, i) => i + 1), 'contiguous over the stripes');
  for (const e of journal) assert.equal(e.pk, `${pk4}#J${e.seq % STRIPES}`);
  assert.deepEqual((await keysUnder(d, pk4)).filter((sk) => sk.startsWith('J#')), [], 'no entry under the cluster key itself');
  for (const pk of stripePks(journalLayout(pk4, STRIPES))) {
    assert.ok((await keysUnder(d, pk)).every((sk) => /^J#\d{12}$/.test(sk)), `${pk} holds journal slots only`);
  }
  // One stripe: the layout of every cluster created before stripes existed.
  const pk1 = clusterPk(one.tenantId, one.clusterId);
  const oneJournal = await journalOf(d, one);
  assert.ok(oneJournal.length >= 11 && oneJournal.every((e) => e.pk === pk1));
  assert.ok((await keysUnder(d, pk1)).includes(journalSk(1)));
  assert.deepEqual(await keysUnder(d, `${pk1}#J0`), []);
});

/**
 * Two nodes on one store: node-a's clock stands still and it never renews, so by its own account
 * it still leads after node-b (whose clock the test moves) has taken over.
 */
async function twoNodes(t: TestContext) {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), renewEveryMs: 3_600_000 });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => Promise.all([a.close(), b.close()]));
  return { d, a, b, clockB };
}

test('a deposed leader\'s next append on a striped journal collides with its successor\'s fence', async (t) => {
  const { d, a, b, clockB } = await twoNodes(t);
  const cluster = striped();
  await a.createTopic(cluster, { name: 't', partitions: 4 });
  const acked = [];
  for (let i = 0; i < 6; i++) acked.push(await a.commitFile(cluster, file(0)));
  clockB.advance(5_001);
  for (let i = 0; i < 3; i++) await b.commitFile(cluster, file(0));
  const refused = await rejectsWith(a.commitFile(cluster, file(0)), 503, 'not_leader');
  assert.equal(refused.extra.leader, 'node-b.internal:9443');

  const journal = await journalOf(d, cluster);
  journal.forEach((e, i) => assert.equal(e.seq, i + 1, 'no gaps'));
  const fenceAt = journal.findIndex((e) => decodeEntry(e.data).some((op) => op.type === 'fence' && op.holder === 'node-b'));
  assert.ok(fenceAt > 0);
  assert.ok(journal.slice(fenceAt).every((e) => e.epoch === journal[fenceAt].epoch), 'nothing of node-a after node-b\'s fence');
  // What node-a acknowledged kept its offsets under node-b.
  const plan = await b.fetchPlan(cluster, { partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 30 }], maxBytes: 1 << 30 });
  const offsets = plan.partitions[0].batches.map((x) => x.baseOffset);
  for (const r of acked) assert.ok(offsets.includes((r.results[0] as { baseOffset: number }).baseOffset));
  assert.equal(plan.partitions[0].highWatermark, 27);
});

test('the read barrier on a striped journal: a deposed leader refuses the latest offset', async (t) => {
  const { d, a, b, clockB } = await twoNodes(t);
  const cluster = striped();
  await a.createTopic(cluster, { name: 't', partitions: 4 });
  // Leave node-a's next slot on a stripe other than stripe 0, where the successor's fence lands.
  for (let i = 0; i < 5; i++) await a.commitFile(cluster, file(1));
  const latest = { partitions: [{ topic: 't', partition: 1, timestamp: -1 }] };
  assert.equal((await a.listOffsets(cluster, latest)).partitions[0].offset, 15, 'the leader passes its own barrier');
  clockB.advance(5_001);
  await b.commitFile(cluster, file(1));
  assert.equal((await b.listOffsets(cluster, latest)).partitions[0].offset, 18);
  const refused = await rejectsWith(a.listOffsets(cluster, latest), 503, 'not_leader');
  assert.equal(refused.extra.leader, 'node-b.internal:9443');
});

test('recovery merges the stripes after snapshots and trimming (and falls back to the older snapshot)', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const log = { fileDeleteGraceMs: 0, trimProtectMs: 0 };
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), tuning: { snapshotChunkBytes: 1_000 }, log });
  const b = metadataNode(d, 'node-b', { clock: clockB, log });
  t.after(() => b.close());
  const cluster = striped();
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  await a.createTopic(cluster, { name: 't', partitions: 4 });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 7; i++) await a.commitFile(cluster, file());
    await a.snapshotNow(cluster);
  }
  for (let i = 0; i < 9; i++) await a.commitFile(cluster, file());
  await a.runMaintenance(cluster);
  const pointer = (await d.db.get<{ seq: number; previous?: { seq: number } }>(d.tables.metadata, { pk, sk: 'SNAP' }))!;
  const journal = await journalOf(d, cluster);
  assert.equal(journal[0].seq, pointer.previous!.seq + 1, 'every stripe was trimmed up to the older snapshot');
  assert.deepEqual(journal.map((e) => e.seq), Array.from({ length: journal.length }, (_, i) => journal[0].seq + i));
  assert.equal(new Set(journal.map((e) => e.pk)).size, STRIPES, 'the tail spans every stripe');
  const before = await a.exportState(cluster);
  a.stopAbruptly();
  clockB.advance(5_001);
  assert.ok(Buffer.from(await b.exportState(cluster)).equals(Buffer.from(before)), 'latest snapshot + merged tail');
  await b.commitFile(cluster, file());

  // The latest snapshot is damaged: the older one and the longer merged tail serve.
  const c = metadataNode(d, 'node-c', { clock: clockB });
  t.after(() => c.close());
  const state = await b.exportState(cluster);
  b.stopAbruptly();
  const latest = (await d.db.get<{ seq: number }>(d.tables.metadata, { pk, sk: 'SNAP' }))!;
  await d.db.delete(d.tables.metadata, { pk, sk: `S#${String(latest.seq).padStart(12, '0')}#000000` });
  clockB.advance(5_001);
  assert.ok(Buffer.from(await c.exportState(cluster)).equals(Buffer.from(state)));
});

test('merging stripes: a slot that lands while the stripes are read is picked up; a slot still empty is a gap', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const journal = journalStore(d.db, d.tables.metadata);
  const j = journalLayout(clusterPk('tnt_test', 'vci_merge'), 3);
  const entry = (seq: number) => ({ seq, data: new Uint8Array([seq]), epoch: 1, writer: `w${seq}`, leader: 'l' });
  for (const seq of [1, 2, 3, 4, 6, 7]) assert.equal(await journal.append(j, entry(seq)), true);
  assert.equal(await journal.append(j, entry(4)), false, 'a taken slot refuses a second writer');
  assert.equal(await journal.lastSeq(j), 7, 'the highest slot over every stripe');

  // Slot 5 (stripe 2) lands after the stripes were first read, before the merge reaches it.
  const reading = journal.readFrom(j, 2);
  const seen = [(await reading.next()).value!.seq];
  assert.equal(await journal.append(j, entry(5)), true);
  for await (const e of reading) seen.push(e.seq);
  assert.deepEqual(seen, [2, 3, 4, 5, 6, 7]);

  // A real hole stays a hole: replay (leadership.ts) refuses to go past it.
  await journal.remove(j, [5]);
  const all = [];
  for await (const e of journal.readFrom(j, 1)) all.push(e.seq);
  assert.deepEqual(all, [1, 2, 3, 4, 6, 7]);
  assert.deepEqual(await journal.seqsBelow(j, 7, 100), [1, 2, 3, 4, 6]);
  assert.equal(await journal.purge(j), 6);
  assert.equal(await journal.lastSeq(j), 0);
});

test('a gap in a striped journal stops recovery, as on one key', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0) });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => b.close());
  const cluster = striped();
  await a.createTopic(cluster, { name: 't', partitions: 4 });
  for (let i = 0; i < 8; i++) await a.commitFile(cluster, file());
  a.stopAbruptly();
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  await journalStore(d.db, d.tables.metadata).remove(journalLayout(pk, STRIPES), [5]);
  clockB.advance(5_001);
  // Replay stops at the hole (leadership.ts replayTail): nothing is served, nothing fills it.
  await rejectsWith(b.listTopics(cluster), 503, 'store_unavailable');
  assert.equal((await journalOf(d, cluster)).some((e) => e.seq === 5), false, 'the hole was not filled by a fence');
});

test('deleting a striped cluster: the closing fence stops its leader, and the purge leaves nothing under any stripe', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock, leaseMs: 5_000 });
  const b = metadataNode(d, 'node-b', { clock, leaseMs: 5_000 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const home = metadataHome({ db: d.db, table: d.tables.metadata, clock, leaseMs: 5_000, unload: (tenantId, clusterId) => b.dropCluster(tenantId, clusterId) });
  const cluster = striped();
  const { tenantId, clusterId } = cluster;
  assert.equal(await home.allocate(tenantId, clusterId), true);
  await a.createTopic(cluster, { name: 't', partitions: 4 });
  for (let i = 0; i < 9; i++) await a.commitFile(cluster, file());
  await a.snapshotNow(cluster);
  const { purgeAfter } = await home.retire(tenantId, clusterId, STRIPES);
  const journal = await journalOf(d, cluster);
  journal.forEach((e, i) => assert.equal(e.seq, i + 1));
  assert.deepEqual(decodeEntry(journal.at(-1)!.data).map((op) => op.type === 'fence' && op.holder), ['cluster-deletion']);
  // node-a still thinks it leads; its next append lands on the slot after the closing fence's... or on the fence itself.
  await assert.rejects(a.commitFile(cluster, file()), (e: { status?: number }) => e.status === 503 || e.status === 409);
  assert.equal((await journalOf(d, cluster)).length, journal.length, 'the fenced leader appended nothing');

  clock.advance(purgeAfter - clock.now());
  await home.purge(tenantId, clusterId, STRIPES);
  const pk = clusterPk(tenantId, clusterId);
  assert.deepEqual(await keysUnder(d, pk), ['LEASE'], 'only the tombstone');
  for (const spk of stripePks(journalLayout(pk, STRIPES))) assert.deepEqual(await keysUnder(d, spk), [], `${spk} is empty`);
  await rejectsWith(b.listTopics(cluster), 409, 'cluster_deleting');
});
