import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { isAppError } from '../../shared/errors';
import { clusterPk } from '../../shared/keys';
import { decodeEntry } from '../../services/metadata/ops';
import { metadataHome } from '../../services/metadata/retirement';
import type { ClusterRef, CommitFileResult } from '../../services/metadata/types';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode, type TestMetadataNode } from '../helpers/metadata-node';

/**
 * Deleting a cluster that another process leads. The deleting node (node-b here, where the
 * destroy job runs) retires the cluster's home: the leader elsewhere must stop acknowledging,
 * no node may lead the cluster again, and after the purge nothing of it remains but the lease
 * tombstone, even when a stale node tries to write. All nodes share one clock here: clocks
 * within the skew bound (leadership.ts).
 */

const T0 = 1_800_000_000_000;
const LEASE_MS = 5_000;

async function items(d: TestDynamo, cluster: ClusterRef): Promise<string[]> {
  const out: string[] = [];
  for await (const it of d.db.queryAll<{ sk: string }>({ table: d.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': clusterPk(cluster.tenantId, cluster.clusterId) } })) out.push(it.sk);
  return out;
}

async function setup(t: { after(fn: () => Promise<unknown>): void }) {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock, leaseMs: LEASE_MS });
  const b = metadataNode(d, 'node-b', { clock, leaseMs: LEASE_MS });
  t.after(() => Promise.all([a.close(), b.close()]));
  const home = metadataHome({ db: d.db, table: d.tables.metadata, clock, leaseMs: LEASE_MS, unload: (tenantId, clusterId) => b.dropCluster(tenantId, clusterId) });
  const cluster = clusterRef();
  assert.equal(await home.allocate(cluster.tenantId, cluster.clusterId), true);
  await a.createTopic(cluster, { name: 'load', partitions: 4 });
  return { d, clock, a, b, home, cluster };
}

let fileNo = 0;
const file = () => fileOf(`f-${fileNo++}`, [{ topic: 'load', partition: fileNo % 4, recordCount: 2 }]);

/** Committers on `node` until each is refused once. */
async function loadUntilRefused(node: TestMetadataNode, cluster: ClusterRef, started: () => void) {
  const acked: CommitFileResult[] = [];
  const refusals: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        try {
          acked.push(await node.commitFile(cluster, file()));
          if (acked.length === 40) started();
        } catch (e) {
          refusals.push(isAppError(e) ? `${e.status} ${e.code}` : String(e));
          return;
        }
      }
    }),
  );
  return { acked, refusals };
}

test('deleting a cluster another node leads: it stops acknowledging, no node leads it again, nothing but the tombstone remains', async (t) => {
  const { d, clock, a, b, home, cluster } = await setup(t);
  const { tenantId, clusterId } = cluster;
  let retired: Promise<{ purgeAfter: number }> | undefined;
  const load = await loadUntilRefused(a, cluster, () => (retired = home.retire(tenantId, clusterId, cluster.journalStripes)));
  const { purgeAfter } = await retired!;
  assert.ok(load.acked.length >= 40);
  assert.ok(load.refusals.every((r) => r === '503 not_leader' || r === '409 cluster_deleting'), load.refusals.join(', '));

  // Everything node-a acknowledged sits before the closing fence; nothing follows it.
  const journal = await journalOf(d, cluster);
  const closing = journal.at(-1)!;
  assert.deepEqual(decodeEntry(closing.data).map((op) => op.type === 'fence' && op.holder), ['cluster-deletion']);
  assert.ok(journal.slice(0, -1).every((e) => e.epoch < closing.epoch));
  const committed = journal.slice(0, -1).flatMap((e) => decodeEntry(e.data)).filter((op) => op.type === 'commitFile').length;
  assert.ok(committed >= load.acked.length, `${committed} commits journalled, ${load.acked.length} acknowledged`);

  // No node leads it any more: not the old leader, not the deleting node, not a newcomer.
  const c = metadataNode(d, 'node-c', { clock, leaseMs: LEASE_MS });
  t.after(() => c.close());
  for (const node of [a, b, c]) await rejectsWith(node.commitFile(cluster, file()), 409, 'cluster_deleting');
  await rejectsWith(c.listTopics(cluster), 409, 'cluster_deleting');

  // node-a's lease was live: the purge waits for it (plus the skew bound), then removes all.
  await assert.rejects(home.purge(tenantId, clusterId, cluster.journalStripes), /may be purged only after/);
  assert.ok(purgeAfter > clock.now());
  clock.set(purgeAfter);
  await home.purge(tenantId, clusterId, cluster.journalStripes);
  assert.deepEqual(await items(d, cluster), ['LEASE']);

  // Stale nodes cannot bring anything back: no lease, no home, no journal entry.
  for (const node of [a, b, c]) await rejectsWith(node.commitFile(cluster, file()), 409, 'cluster_deleting');
  assert.equal(await home.allocate(tenantId, clusterId), false);
  assert.deepEqual(await home.retire(tenantId, clusterId, cluster.journalStripes), { purgeAfter }, 'retiring again changes nothing');
  await home.purge(tenantId, clusterId, cluster.journalStripes);
  assert.deepEqual(await items(d, cluster), ['LEASE']);
});

test('a leader stalled across the whole deletion writes nothing when it wakes', async (t) => {
  const { d, clock, a, home, cluster } = await setup(t);
  await a.commitFile(cluster, file());
  a.pause();
  const stalled = a.commitFile(cluster, file());
  const { purgeAfter } = await home.retire(cluster.tenantId, cluster.clusterId, cluster.journalStripes);
  clock.set(purgeAfter);
  await home.purge(cluster.tenantId, cluster.clusterId, cluster.journalStripes);
  assert.deepEqual(await items(d, cluster), ['LEASE']);
  a.resume();
  await rejectsWith(stalled, 409, 'cluster_deleting');
  assert.deepEqual(await items(d, cluster), ['LEASE']);
});

test('an unheld lease is purged at once; a home retired before it was allocated is never allocated', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(T0);
  const home = metadataHome({ db: d.db, table: d.tables.metadata, clock, leaseMs: LEASE_MS, unload: async () => {} });
  const cluster = clusterRef();
  // Deleted while still provisioning: the destroy job ran before the provision job.
  const { purgeAfter } = await home.retire(cluster.tenantId, cluster.clusterId, cluster.journalStripes);
  assert.ok(purgeAfter <= clock.now());
  await home.purge(cluster.tenantId, cluster.clusterId, cluster.journalStripes);
  assert.equal(await home.allocate(cluster.tenantId, cluster.clusterId), false);
  assert.deepEqual(await items(d, cluster), ['LEASE']);
});
