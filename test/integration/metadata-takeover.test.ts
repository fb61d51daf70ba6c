import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, systemClock } from '../../shared/clock';
import { isAppError } from '../../shared/errors';
import { decodeEntry } from '../../services/metadata/ops';
import type { MetadataService } from '../../services/metadata/service';
import type { ClusterRef, CommitFileInput, CommitFileResult } from '../../services/metadata/types';
import { startTestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/**
 * Two sequencer nodes on one store. Whatever a leader acknowledged survives its crash or
 * stall with the same offsets; offsets stay unique and contiguous; a deposed leader can never
 * append again, because its next append collides with its successor's entries.
 */

const T0 = 1_800_000_000_000;
const PARTITIONS = 8;
const MAX = 2 ** 31 - 1;

/** Every batch of every partition, checked for contiguity, keyed by fileId and byte offset. */
async function readAll(node: MetadataService, cluster: ClusterRef, topic: string): Promise<Map<string, [number, number]>> {
  const plan = await node.fetchPlan(cluster, { partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0, maxBytes: MAX })), maxBytes: MAX });
  const seen = new Map<string, [number, number]>();
  for (const p of plan.partitions) {
    let next = 0;
    for (const b of p.batches) {
      assert.equal(b.baseOffset, next, `partition ${p.partition}: batch starts at ${b.baseOffset}, expected ${next}`);
      assert.ok(b.lastOffset >= b.baseOffset);
      next = b.lastOffset + 1;
      const key = `${b.fileId}@${b.byteOffset}`;
      assert.ok(!seen.has(key), `${key} indexed twice`);
      seen.set(key, [b.baseOffset, b.lastOffset]);
    }
    assert.equal(p.highWatermark, next, `partition ${p.partition}: high watermark follows the last batch`);
  }
  return seen;
}

function assertAcknowledgedPresent(acked: Map<string, { file: CommitFileInput; result: CommitFileResult }>, index: Map<string, [number, number]>): void {
  for (const { file, result } of acked.values()) {
    result.results.forEach((r, i) => {
      assert.ok(!('error' in r), `${file.fileId} batch ${i} failed: nothing here refuses batches`);
      assert.deepEqual(index.get(`${file.fileId}@${file.batches[i].byteOffset}`), [r.baseOffset, r.lastOffset], `${file.fileId} batch ${i} kept its offsets`);
    });
  }
}

let fileNo = 0;
const randomFile = (prefix: string) =>
  fileOf(`${prefix}-${fileNo++}`, Array.from({ length: 3 }, () => ({ topic: 'load', partition: Math.floor(Math.random() * PARTITIONS), recordCount: 1 + Math.floor(Math.random() * 5) })));

/** Committers hammering `node` until it fails them or they are stopped; records what it acknowledged. */
function startLoad(node: MetadataService, cluster: ClusterRef, workers: number, prefix: string) {
  const acked = new Map<string, { file: CommitFileInput; result: CommitFileResult }>();
  const errors: string[] = [];
  let stopped = false;
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (!stopped) {
        const file = randomFile(prefix);
        try {
          acked.set(file.fileId, { file, result: await node.commitFile(cluster, file) });
        } catch (e) {
          errors.push(isAppError(e) ? `${e.status} ${e.code}` : String(e));
          return;
        }
      }
    }),
  );
  const stop = () => {
    stopped = true;
    return done;
  };
  return { acked, errors, done, stop };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
};

test('crash under load: the successor holds every acknowledged commit with its offsets; the old node, restarted, is refused', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockA = manualClock(T0);
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: clockA, renewEveryMs: 50, snapshotEveryEntries: 25 });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => b.close());
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });

  const load = startLoad(a, cluster, 16, 'a');
  await until(() => load.acked.size >= 400);
  a.stopAbruptly();
  await load.done;
  assert.ok(load.errors.every((e) => e === '503 node_stopped'), load.errors.join(', '));

  // node-a's lease is still live by node-b's clock.
  const refused = await rejectsWith(b.listTopics(cluster), 503, 'not_leader');
  assert.equal(refused.extra.leader, 'node-a.internal:9443');
  clockB.advance(5_001);
  const index = await readAll(b, cluster, 'load');
  assertAcknowledgedPresent(load.acked, index);
  assert.ok(index.size >= load.acked.size * 3);

  const later = await b.commitFile(cluster, randomFile('b'));
  assert.ok(later.results.every((r) => !('error' in r)));
  assertAcknowledgedPresent(load.acked, await readAll(b, cluster, 'load'));

  // node-a comes back (a new process, same node id): node-b holds a live lease, so it is refused.
  const restarted = metadataNode(d, 'node-a', { clock: clockA });
  t.after(() => restarted.close());
  const again = await rejectsWith(restarted.commitFile(cluster, randomFile('a2')), 503, 'not_leader');
  assert.equal(again.extra.leader, 'node-b.internal:9443');
});

test('a stalled leader is fenced by the journal: acknowledged work survives, its next append fails with not_leader', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockA = manualClock(T0);
  const clockB = manualClock(T0);
  // node-a never renews here and its clock stands still: by its own account it still leads.
  const a = metadataNode(d, 'node-a', { clock: clockA, renewEveryMs: 3_600_000 });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });

  const load = startLoad(a, cluster, 8, 'a');
  await until(() => load.acked.size >= 100);
  a.pause();
  const ackedBeforePause = load.acked.size;

  clockB.advance(5_001);
  const fromB = startLoad(b, cluster, 4, 'b');
  await until(() => fromB.acked.size >= 50);

  a.resume();
  await load.done;
  assert.ok(load.errors.length === 8 && load.errors.every((e) => e === '503 not_leader'), load.errors.join(', '));
  assert.ok(load.acked.size >= ackedBeforePause);
  const fenced = await rejectsWith(a.commitFile(cluster, randomFile('a')), 503, 'not_leader');
  assert.equal(fenced.extra.leader, 'node-b.internal:9443');

  await fromB.stop();
  assert.deepEqual(fromB.errors, []);
  const index = await readAll(b, cluster, 'load');
  assertAcknowledgedPresent(load.acked, index);
  assertAcknowledgedPresent(fromB.acked, index);

  // The journal: once node-b's fence is in, no entry of node-a's epoch follows.
  const journal = await journalOf(d, cluster);
  journal.forEach((e, i) => assert.equal(e.seq, i + 1, 'sequence numbers have no gaps'));
  const fenceAt = journal.findIndex((e) => decodeEntry(e.data).some((op) => op.type === 'fence' && op.holder === 'node-b'));
  assert.ok(fenceAt > 0);
  const epochB = journal[fenceAt].epoch;
  assert.ok(journal.slice(fenceAt).every((e) => e.epoch === epochB), 'the stale leader appended nothing after the fence');
});

test('a leader whose renewal fails stops at once and sends clients to the new leader', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockA = manualClock(T0);
  const clockB = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock: clockA, renewEveryMs: 20 });
  const b = metadataNode(d, 'node-b', { clock: clockB });
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });
  await a.commitFile(cluster, randomFile('a'));
  clockB.advance(5_001);
  await b.listTopics(cluster);
  const entriesAfterTakeover = (await journalOf(d, cluster)).length;
  await until(() => a.status().length === 0);
  const e = await rejectsWith(a.commitFile(cluster, randomFile('a')), 503, 'not_leader');
  assert.equal(e.extra.leader, 'node-b.internal:9443');
  assert.equal((await journalOf(d, cluster)).length, entriesAfterTakeover);
});

test('on the system clock a leader keeps its lease by renewing in the background; when it dies another takes over', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const a = metadataNode(d, 'node-a', { clock: systemClock, leaseMs: 1_000, renewEveryMs: 100 });
  const b = metadataNode(d, 'node-b', { clock: systemClock, leaseMs: 1_000, renewEveryMs: 100 });
  t.after(() => b.close());
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });
  // Twice the lease period passes while node-a keeps leading.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 400));
    await a.commitFile(cluster, randomFile('a'));
    await rejectsWith(b.listTopics(cluster), 503, 'not_leader');
  }
  a.stopAbruptly();
  await new Promise((r) => setTimeout(r, 1_100));
  assert.deepEqual((await b.listTopics(cluster)).map((x) => x.name), ['load']);
  assert.equal((await b.describeTopic(cluster, 'load')).partitionDetails.reduce((n, p) => n + p.highWatermark, 0) > 0, true);
});

test('a restarted node (same node id, new run) takes its own live lease at once; a node never names itself as the leader', async (t) => {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clock = manualClock(T0);
  const a = metadataNode(d, 'node-a', { clock });
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });
  await a.commitFile(cluster, randomFile('a'));
  a.stopAbruptly();

  // Its lease is live for 5 s more by the clock; the new run does not wait for it.
  const again = metadataNode(d, 'node-a', { clock });
  t.after(() => again.close());
  const next = await again.commitFile(cluster, randomFile('a'));
  assert.ok(next.results.every((r) => !('error' in r)));
  assert.equal(again.status()[0].epoch, 2);

  // Another node id advertising the same address (a misconfiguration, or a run from before
  // node ids were stable) is refused, but never told that it is the leader itself.
  const twin = metadataNode(d, 'node-a-twin', { clock, advertisedAddress: 'node-a.internal:9443' });
  t.after(() => twin.close());
  const refused = await rejectsWith(twin.listTopics(cluster), 503, 'not_leader');
  assert.equal(refused.extra.leader, null);
});
