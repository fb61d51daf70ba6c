import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, systemClock } from '../../shared/clock';
import { Db, type Item } from '../../shared/dynamo';
import { isAppError } from '../../shared/errors';
import { clusterPk } from '../../services/metadata/keys';
import { decodeEntry } from '../../services/metadata/ops';
import type { MetadataService } from '../../services/metadata/service';
import type { ClusterRef, CommitFileInput, CommitFileResult } from '../../services/metadata/types';
import { startTestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';
import { eventually } from '../helpers/harness';

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
  // A lease of 3 s renewed every 150 ms: on a loaded machine (both nodes share this process,
  // and a stall delays renewals and takeover attempts alike) only a stall of ~3 s could cost
  // node-a its lease; the lease is real time, not a test clock, which is the point here.
  const LEASE = 3_000;
  const a = metadataNode(d, 'node-a', { clock: systemClock, leaseMs: LEASE, renewEveryMs: 150 });
  const b = metadataNode(d, 'node-b', { clock: systemClock, leaseMs: LEASE, renewEveryMs: 150 });
  t.after(() => b.close());
  const cluster = clusterRef();
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS });
  // Twice the lease period passes while node-a keeps leading.
  const started = Date.now();
  while (Date.now() - started < 2 * LEASE) {
    await new Promise((r) => setTimeout(r, 500));
    await a.commitFile(cluster, randomFile('a'));
    await rejectsWith(b.listTopics(cluster), 503, 'not_leader');
  }
  a.stopAbruptly();
  // Once the lease runs out (polled with a generous deadline), node-b takes over with the data.
  const topics = await eventually(async () => {
    try {
      return await b.listTopics(cluster);
    } catch {
      return undefined;
    }
  }, 30_000, 100);
  assert.deepEqual(topics.map((x) => x.name), ['load']);
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

/** Holds the next journal append of one node on its way to the store, as a stalled process would. */
class StallingDb extends Db {
  private stall: { release: Promise<void>; entered: () => void } | undefined;

  /** Arms a stall; resolves `entered` when an append is caught, and lets it go on `release()`. */
  arm(): { entered: Promise<void>; release: () => void } {
    let release!: () => void;
    let entered!: () => void;
    const caught = new Promise<void>((r) => (entered = r));
    this.stall = { release: new Promise((r) => (release = r)), entered };
    return { entered: caught, release };
  }

  override async put(table: string, item: Item, condition?: { expr: string; names?: Record<string, string>; values?: Item }): Promise<boolean> {
    const stall = this.stall;
    if (stall && String(item.sk).startsWith('J#')) {
      this.stall = undefined;
      stall.entered();
      await stall.release;
    }
    return super.put(table, item, condition);
  }
}

/**
 * A leader stalls with an append on its way to the store; a successor takes over, snapshots
 * and trims its journal. The stalled append must never be acknowledged, whether it arrives
 * while the successor's fence still holds its slot (it collides) or after trimming emptied
 * that slot (it lands, but after the old lease ran out, so the old leader does not answer it).
 */
async function stalledLeaderScenario(t: { after(fn: () => Promise<void>): void }) {
  const d = await startTestDynamo();
  t.after(() => d.close());
  const clockA = manualClock(T0);
  const clockB = manualClock(T0);
  const db = new StallingDb(d.db.client);
  const a = metadataNode({ ...d, db }, 'node-a', { clock: clockA, renewEveryMs: 3_600_000 });
  const b = metadataNode(d, 'node-b', { clock: clockB, renewEveryMs: 20, log: { maintenanceEveryMs: 3_600_000 } });
  t.after(() => Promise.all([a.close(), b.close()]).then(() => undefined));
  const cluster = clusterRef({ limits: { partitionsPerCluster: 1000, maxRetentionMs: -1 } });
  await a.createTopic(cluster, { name: 'load', partitions: PARTITIONS, config: { 'retention.ms': -1 } });
  const acked = new Map<string, { file: CommitFileInput; result: CommitFileResult }>();
  for (let i = 0; i < 20; i++) {
    const file = randomFile('a');
    acked.set(file.fileId, { file, result: await a.commitFile(cluster, file) });
  }
  const stall = db.arm();
  const stalledFile = randomFile('stalled');
  const stalled = a.commitFile(cluster, stalledFile).then(
    () => 'acknowledged',
    (e) => (isAppError(e) ? `${e.status} ${e.code}` : String(e)),
  );
  await stall.entered;
  const fenceSlot = (await journalOf(d, cluster)).length + 1;

  // node-a's lease runs out by node-b's clock; node-b takes over, commits, snapshots twice, trims.
  clockB.advance(5_001);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 5; i++) {
      const file = randomFile('b');
      acked.set(file.fileId, { file, result: await b.commitFile(cluster, file) });
    }
    await b.snapshotNow(cluster);
  }
  const file = randomFile('b');
  acked.set(file.fileId, { file, result: await b.commitFile(cluster, file) });
  await b.runMaintenance(cluster);
  /** Time passes for both nodes (their clocks agree); node-b renews its lease as it goes. */
  const passTime = async (ms: number) => {
    for (let left = ms; left > 0; left -= 1_000) {
      clockA.advance(Math.min(1_000, left));
      clockB.advance(Math.min(1_000, left));
      const renewedBy = clockB.now() + 5_000;
      while (((await d.db.get<{ expiresAt: number }>(d.tables.metadata, { pk: clusterPk(cluster.tenantId, cluster.clusterId), sk: 'LEASE' }))?.expiresAt ?? 0) < renewedBy) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  return { d, a, b, cluster, acked, stall, stalled, stalledFile, fenceSlot, passTime };
}

test('trimming keeps the successor fence while the old lease may live: a stalled append still collides', async (t) => {
  const s = await stalledLeaderScenario(t);
  const journal = await journalOf(s.d, s.cluster);
  assert.equal(journal[0].seq, s.fenceSlot, 'everything below the fence was trimmed, the fence and what follows kept');
  assert.ok(decodeEntry(journal[0].data).some((op) => op.type === 'fence' && op.holder === 'node-b'));
  // node-a's clock stands still (it believes its lease is valid): only the collision stops it.
  s.stall.release();
  assert.equal(await s.stalled, '503 not_leader');
  const index = await readAll(s.b, s.cluster, 'load');
  assertAcknowledgedPresent(s.acked, index);
  assert.ok(![...index.keys()].some((k) => k.startsWith(s.stalledFile.fileId)));
});

test('after two leases the fence may go; a stalled append landing in its emptied slot is never acknowledged', async (t) => {
  const s = await stalledLeaderScenario(t);
  // Two leases pass; node-b trims past its fence.
  await s.passTime(10_001);
  await s.b.runMaintenance(s.cluster);
  const before = await journalOf(s.d, s.cluster);
  assert.ok(before[0].seq > s.fenceSlot, `the fence slot ${s.fenceSlot} was trimmed (journal starts at ${before[0].seq})`);
  s.stall.release();
  assert.equal(await s.stalled, '503 not_leader', 'landed after its lease: not acknowledged');
  const stray = (await journalOf(s.d, s.cluster)).find((e) => e.seq === s.fenceSlot);
  assert.ok(stray, 'the stalled append did land in the emptied slot...');
  assert.ok(decodeEntry(stray.data).some((op) => op.type === 'commitFile' && op.body.fileId === s.stalledFile.fileId));
  const index = await readAll(s.b, s.cluster, 'load');
  assertAcknowledgedPresent(s.acked, index);
  assert.ok(![...index.keys()].some((k) => k.startsWith(s.stalledFile.fileId)), '...below the snapshots, where no one reads it');
  // The agent retries the commit: it is new to the cluster and gets offsets once.
  const retried = await s.b.commitFile(s.cluster, s.stalledFile);
  assert.equal(retried.duplicate, false);
  await s.b.runMaintenance(s.cluster);
  assert.ok(!(await journalOf(s.d, s.cluster)).some((e) => e.seq === s.fenceSlot), 'the next pass trims the stray entry');
});
