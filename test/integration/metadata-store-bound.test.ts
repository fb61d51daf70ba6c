import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { clusterPk } from '../../services/metadata/keys';
import { journalLayout, stripePks } from '../../services/metadata/journal-stripes';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf } from '../helpers/metadata';
import { metadataNode } from '../helpers/metadata-node';
import type { ClusterRef } from '../../services/metadata/types';

/**
 * Under steady load with retention and deletion, what the store holds for a cluster levels off
 * with the live data: journal entries back to the snapshot before the latest, two snapshots,
 * the lease, pointer and stats. Nothing accumulates with history (it would cost storage and
 * write units on DynamoDB as it did on the embedded engine).
 */

const T0 = 1_800_000_000_000;
const ROUND_MS = 20_000;
const RETENTION_MS = 60_000;

/** Items and bytes of `data` stored under the cluster's keys (its own and its journal stripes'). */
async function stored(d: TestDynamo, cluster: ClusterRef): Promise<{ items: number; bytes: number }> {
  const pk = clusterPk(cluster.tenantId, cluster.clusterId);
  const keys = new Set([pk, ...stripePks(journalLayout(pk, cluster.journalStripes))]);
  let items = 0;
  let bytes = 0;
  for (const key of keys) {
    for await (const item of d.db.queryAll<{ sk: string; data?: Uint8Array }>({ table: d.tables.metadata, keyCondition: 'pk = :pk', values: { ':pk': key } })) {
      items++;
      bytes += item.sk.length + (item.data?.length ?? 0);
    }
  }
  return { items, bytes };
}

test('steady commits with retention and deletion: the stored items and bytes stop growing once live data does', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(T0);
  const node = metadataNode(d, 'node-a', { clock, log: { fileDeleteGraceMs: 0, trimProtectMs: 0 } });
  t.after(() => node.close());
  const cluster = clusterRef();
  await node.createTopic(cluster, { name: 'events', partitions: 8, config: { 'retention.ms': RETENTION_MS } });
  const rounds: { items: number; bytes: number; live: number }[] = [];
  let n = 0;
  for (let round = 0; round < 14; round++) {
    for (let i = 0; i < 25; i++, n++) {
      await node.commitFile(cluster, fileOf(`f${n}`, Array.from({ length: 4 }, (_, b) => ({ topic: 'events', partition: (n + b) % 8, maxTimestamp: clock.now() }))));
    }
    clock.advance(ROUND_MS);
    await node.runMaintenance(cluster); // retention marks the files that fell out
    const due = await node.listDueFiles(cluster, { limit: 1_000 });
    if (due.items.length > 0) await node.recordFilesDeleted(cluster, due.items.map((f) => f.fileId));
    await node.snapshotNow(cluster);
    await node.runMaintenance(cluster); // trims the journal and snapshots behind the older snapshot
    const counts = await node.fileCountsNow(cluster);
    rounds.push({ ...(await stored(d, cluster)), live: counts.live.count });
  }
  // Live data fills within the retention (three rounds); from then on the store must be flat.
  const warm = rounds.slice(4, 7);
  const late = rounds.slice(-4);
  const most = (rows: typeof rounds, k: 'items' | 'bytes' | 'live') => Math.max(...rows.map((r) => r[k]));
  assert.ok(most(late, 'live') <= most(warm, 'live'), `live files level off: ${JSON.stringify(rounds.map((r) => r.live))}`);
  assert.ok(most(late, 'items') <= most(warm, 'items') * 1.2, `stored items level off: ${JSON.stringify(rounds.map((r) => r.items))}`);
  assert.ok(most(late, 'bytes') <= most(warm, 'bytes') * 1.2, `stored bytes level off: ${JSON.stringify(rounds.map((r) => r.bytes))}`);
});
