import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../../shared/clock';
import { Db, type Key } from '../../shared/dynamo';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { metadataNode } from '../helpers/metadata-node';

/**
 * A deposed leader whose clock says its lease is still valid (a slow clock, a stall) must not
 * answer the reads that depend on being current: the latest offset, and a fetch at the tail.
 * Node-a's clock stands still and it never renews; node-b's clock moves past the lease, so
 * node-b takes over and commits while node-a still believes it leads.
 */

const T0 = 1_800_000_000_000;
const cluster = clusterRef();
const one = (partition: number, n: number) => fileOf(`f-${partition}-${n}-${Math.random()}`, [{ topic: 't', partition, recordCount: 5 }]);

/** Counts consistent reads of journal slots (the read barrier's store reads). */
class CountingDb extends Db {
  journalGets = 0;
  override get<T>(table: string, key: Key, consistent?: boolean): Promise<T | undefined> {
    if (key.sk.startsWith('J#')) this.journalGets++;
    return super.get<T>(table, key, consistent);
  }
}

async function deposedLeader(t: { after(fn: () => Promise<unknown>): void }) {
  const d: TestDynamo = await startTestDynamo();
  t.after(() => d.close());
  const a = metadataNode(d, 'node-a', { clock: manualClock(T0), renewEveryMs: 3_600_000 });
  const clockB = manualClock(T0);
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.createTopic(cluster, { name: 't', partitions: 2 });
  await a.commitFile(cluster, one(0, 1));
  clockB.advance(5_001);
  await b.commitFile(cluster, one(0, 2));
  return { a, b };
}

test('list offsets on a deposed leader whose lease looks valid: refused, naming the successor', async (t) => {
  const { a, b } = await deposedLeader(t);
  const latest = { partitions: [{ topic: 't', partition: 0, timestamp: -1 }] };
  assert.equal((await b.listOffsets(cluster, latest)).partitions[0].offset, 10);
  const refused = await rejectsWith(a.listOffsets(cluster, latest), 503, 'not_leader');
  assert.equal(refused.extra.leader, 'node-b.internal:9443');
  // Deposed for good: node-a does not come back until node-b's lease ends.
  await rejectsWith(a.listOffsets(cluster, latest), 503, 'not_leader');
});

test('a fetch at the tail on a deposed leader is refused; a fetch of batches it holds is answered', async (t) => {
  const { a } = await deposedLeader(t);
  const held = await a.fetchPlan(cluster, { partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 1 << 20 }], maxBytes: 1 << 20 });
  assert.equal(held.partitions[0].batches[0].baseOffset, 0, 'committed batches never change: answered without the barrier');
  const tail = { partitions: [{ topic: 't', partition: 0, offset: 5, maxBytes: 1 << 20 }], maxBytes: 1 << 20 };
  const refused = await rejectsWith(a.fetchPlan(cluster, tail), 503, 'not_leader');
  assert.equal(refused.extra.leader, 'node-b.internal:9443');
});

test('fresh reads waiting together share one barrier read; reads that need none cost none', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const db = new CountingDb(d.db.client);
  const a = metadataNode({ ...d, db }, 'node-a', { renewEveryMs: 3_600_000 });
  t.after(() => a.close());
  await a.createTopic(cluster, { name: 't', partitions: 2 });
  await a.commitFile(cluster, one(1, 1));
  db.journalGets = 0;
  await Promise.all(Array.from({ length: 10 }, () => a.fetchPlan(cluster, { partitions: [{ topic: 't', partition: 1, offset: 0, maxBytes: 1 << 20 }], maxBytes: 1 << 20 })));
  assert.equal(db.journalGets, 0);
  const answers = await Promise.all(Array.from({ length: 40 }, () => a.listOffsets(cluster, { partitions: [{ topic: 't', partition: 1, timestamp: -1 }] })));
  assert.ok(answers.every((x) => x.partitions[0].offset === 5));
  assert.ok(db.journalGets >= 1 && db.journalGets <= 2, `${db.journalGets} barrier reads for 40 reads`);
});
