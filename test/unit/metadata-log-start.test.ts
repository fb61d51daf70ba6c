import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { fileCounts, listDueFiles, type FilesDeletedResult } from '../../services/metadata/file-lifecycle';
import { MaintenancePass, type MaintenanceLimits } from '../../services/metadata/maintenance';
import { buildEntry } from '../../services/metadata/ops';
import { FILE_DELETE_PENDING, FILE_LIVE } from '../../services/metadata/state';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import type { CommitFileInput, CommitFileResult, DeleteRecordsResult } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { validateFetchPlan, validateListOffsets } from '../../services/metadata/validate-reads';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';

/** Delete records, retention and the file lifecycle on the state machine alone. */

const GRACE = 300_000;
const T0 = 1_700_000_000_000;

function setup() {
  const cluster = clusterRef({ limits: { partitionsPerCluster: 1000, maxRetentionMs: -1 } });
  const core = new ClusterCore();
  const journal: Uint8Array[] = [];
  let now = T0;
  const run = (req: WriteRequest) => {
    const done = core.execute(req, now);
    if (done.bytes) journal.push(buildEntry([done.bytes]));
    return done.answer;
  };
  return {
    cluster,
    core,
    journal,
    now: () => now,
    advance: (ms: number) => (now += ms),
    create: (name: string, partitions: number, config?: object) => run({ kind: 'createTopic', cluster, input: { name, partitions, config } }),
    commit: (file: CommitFileInput) => run({ kind: 'commitFile', cluster, commit: validateCommit(file, cluster) }) as CommitFileResult,
    deleteRecords: (partitions: object[]) => run({ kind: 'deleteRecords', cluster, input: validateDeleteRecords({ partitions }) }) as DeleteRecordsResult,
    filesDeleted: (fileIds: unknown) => run({ kind: 'filesDeleted', cluster, fileIds }) as FilesDeletedResult,
    deleteTopic: (name: string) => run({ kind: 'deleteTopic', cluster, name }),
    alter: (name: string, config: object) => run({ kind: 'updateTopic', cluster, name, input: { config } }),
    maintain: (limits?: MaintenanceLimits) => {
      const pass = new MaintenancePass(limits);
      let steps = 0;
      for (;;) {
        steps++;
        if ((run({ kind: 'maintenance', cluster, pass }) as { done: boolean }).done) return steps;
      }
    },
    fetch: (topic: string, partition: number, offset: number) =>
      core.fetchPlan(validateFetchPlan({ partitions: [{ topic, partition, offset, maxBytes: 1 << 30 }], maxBytes: 1 << 30 })).partitions[0],
    list: (topic: string, partition: number, timestamp: number) => core.listOffsets(validateListOffsets({ partitions: [{ topic, partition, timestamp }] })).partitions[0],
  };
}

test('delete records moves the log start (never past the high watermark); reads follow it; emptied files are marked', async () => {
  const s = setup();
  s.create('t', 2);
  // Partition 0: batches [0-4] in f1, [5-9] in f2, [10-14] in f2; partition 1: [0-0] in f1.
  s.commit(fileOf('f1', [{ topic: 't', partition: 0, recordCount: 5, maxTimestamp: 100 }, { topic: 't', partition: 1 }]));
  s.commit(fileOf('f2', [{ topic: 't', partition: 0, recordCount: 5, maxTimestamp: 200 }, { topic: 't', partition: 0, recordCount: 5, maxTimestamp: 300 }]));
  const out = s.deleteRecords([
    { topic: 't', partition: 0, offset: 7 },
    { topic: 't', partition: 1, offset: 2 },
    { topic: 'nope', partition: 0, offset: 0 },
  ]);
  assert.deepEqual(out.partitions, [
    { topic: 't', partition: 0, lowWatermark: 7 },
    { topic: 't', partition: 1, lowWatermark: -1, error: 'OFFSET_OUT_OF_RANGE' },
    { topic: 'nope', partition: 0, lowWatermark: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' },
  ]);
  // The batch [0-4] is gone; [5-9] straddles 7 and stays, as Kafka keeps a segment that holds the log start.
  assert.equal(s.fetch('t', 0, 6).error, 'OFFSET_OUT_OF_RANGE');
  assert.deepEqual(s.fetch('t', 0, 7).batches.map((b) => [b.fileId, b.baseOffset]), [['f2', 5], ['f2', 10]]);
  assert.deepEqual(s.list('t', 0, -2), { topic: 't', partition: 0, offset: 7, timestamp: -1 });
  assert.deepEqual(s.list('t', 0, 0), { topic: 't', partition: 0, offset: 7, timestamp: 200 }, 'by timestamp, clamped to the log start');
  assert.equal(s.core.describeTopic('t').partitionDetails[0].bytes, 200);
  assert.equal(s.core.state.fileById('f1')!.state, FILE_LIVE, 'f1 still holds partition 1');
  // A lower offset changes nothing and writes nothing; -1 empties the partition.
  const entries = s.journal.length;
  assert.deepEqual(s.deleteRecords([{ topic: 't', partition: 0, offset: 3 }]).partitions, [{ topic: 't', partition: 0, lowWatermark: 7 }]);
  assert.equal(s.journal.length, entries);
  s.advance(10);
  assert.deepEqual(s.deleteRecords([{ topic: 't', partition: 1, offset: -1 }]).partitions, [{ topic: 't', partition: 1, lowWatermark: 1 }]);
  assert.deepEqual([s.core.state.fileById('f1')!.state, s.core.state.fileById('f1')!.markedAt], [FILE_DELETE_PENDING, T0 + 10]);
  assert.deepEqual(s.fetch('t', 1, 1), { topic: 't', partition: 1, highWatermark: 1, logStartOffset: 1, batches: [] });
  assert.deepEqual(s.list('t', 1, -3), { topic: 't', partition: 1, offset: -1, timestamp: -1 });
  await rejectsWith(() => s.deleteRecords([{ topic: 't', partition: 0, offset: -2 }]), 400, 'invalid_offset');
  await rejectsWith(() => s.deleteRecords([{ topic: 't', partition: 0, offset: 1 }, { topic: 't', partition: 0, offset: 2 }]), 400, 'duplicate_partition');
});

test('retention by time and by size advances log starts in bounded steps; a batch without timestamps ages by its commit', () => {
  const s = setup();
  s.create('timed', 1, { 'retention.ms': 60_000 });
  s.create('sized', 1, { 'retention.bytes': 250 });
  s.create('kept', 1, { 'retention.ms': -1 });
  for (let i = 0; i < 5; i++) {
    s.commit(fileOf(`f${i}`, [
      { topic: 'timed', partition: 0, maxTimestamp: i === 2 ? -1 : T0 + i * 10_000 },
      { topic: 'sized', partition: 0, byteLength: 100 },
      { topic: 'kept', partition: 0, maxTimestamp: 0 },
    ]));
    s.advance(10_000);
  }
  // T0 + 50s: nothing is older than 60 s yet; by size, 500 bytes drop to 300 (one more would leave 200 < 250).
  s.maintain();
  const starts = () => ['timed', 'sized', 'kept'].map((t) => s.core.state.partition(t, 0)!.logStartOffset);
  assert.deepEqual(starts(), [0, 2, 0]);
  s.advance(25_000); // T0 + 75s: batches 0 and 1 (T0, T0+10s) are past 60 s; batch 2 has no timestamp, committed at T0+20s.
  s.maintain();
  assert.deepEqual(starts(), [2, 2, 0]);
  s.advance(16_000); // T0 + 91s: batch 2's commit (T0+20s) is past too, and batch 3 (T0+30s).
  const steps = s.maintain({ partitionsPerStep: 1, batchesPerStep: 1, itemsPerStep: 10 });
  assert.ok(steps >= 3, `a pass of one partition per step takes several steps (${steps})`);
  assert.deepEqual(starts(), [3, 2, 0], 'at most one batch per step, so one more this pass');
  s.maintain();
  assert.deepEqual(starts(), [4, 2, 0]);
  assert.deepEqual(['f0', 'f1', 'f2', 'f3', 'f4'].map((f) => s.core.state.fileById(f)!.live), [1, 1, 2, 2, 3]);
  const replayed = new ClusterCore();
  for (const e of s.journal) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), encodeState(s.core.state));
});

test('marked files are due after the grace period, listed in pages, and leave when reported deleted', () => {
  const s = setup();
  s.create('t', 1);
  for (let i = 0; i < 5; i++) s.commit(fileOf(`f${i}`, [{ topic: 't', partition: 0, byteLength: 10 * (i + 1) }]));
  s.commit(fileOf('rejected', [{ topic: 'missing', partition: 0 }]));
  s.advance(1000);
  s.deleteRecords([{ topic: 't', partition: 0, offset: 3 }]);
  const page = (limit: number, after?: string | null) => listDueFiles(s.core.state, s.now(), GRACE, { limit, after });
  assert.deepEqual(page(10), { items: [], nextCursor: null }, 'nothing is due during the grace period');
  assert.deepEqual(fileCounts(s.core.state, s.now(), GRACE), {
    live: { count: 2, bytes: 90 },
    markedForDeletion: { count: 4, bytes: 160 },
    due: { count: 0, bytes: 0 },
  });
  s.advance(GRACE);
  const first = page(2);
  assert.deepEqual(first.items.map((f) => f.fileId), ['rejected', 'f0']);
  assert.equal(first.items[1].dueAt, T0 + 1000 + GRACE);
  const second = page(2, first.nextCursor);
  assert.deepEqual([second.items.map((f) => f.fileId), second.nextCursor], [['f1', 'f2'], null]);
  assert.deepEqual(fileCounts(s.core.state, s.now(), GRACE).due, { count: 4, bytes: 160 });

  const report = s.filesDeleted(['f0', 'f1', 'f4', 'f0', 'never-committed']);
  assert.deepEqual(report.files.map((f) => f.result), ['deleted', 'deleted', 'FILE_LIVE', 'already_deleted', 'already_deleted']);
  assert.equal(s.core.state.fileById('f0'), undefined);
  assert.deepEqual(s.filesDeleted(['f0', 'f1']).files.map((f) => f.result), ['already_deleted', 'already_deleted'], 'a repeated report is harmless');
  assert.deepEqual(page(10).items.map((f) => f.fileId), ['rejected', 'f2']);
  // Freed file numbers are reused, lowest first; the table does not grow.
  const span = s.core.state.files.span;
  s.commit(fileOf('g0', [{ topic: 't', partition: 0 }]));
  assert.equal(s.core.state.files.numberOf('g0'), 0);
  assert.equal(s.core.state.files.span, span);
  // Snapshot and journal agree, holes and mark order included.
  assert.deepEqual(encodeState(decodeState(encodeState(s.core.state))), encodeState(s.core.state));
  assert.deepEqual(listDueFiles(decodeState(encodeState(s.core.state)), s.now(), GRACE, { limit: 10 }), page(10));
  const replayed = new ClusterCore();
  for (const e of s.journal) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), encodeState(s.core.state));
});

/**
 * The file lifecycle's invariant under random histories: no file is listed due (or marked at
 * all) while a batch of any index refers to it, every batch reads back from the file it was
 * committed in (reused file numbers never mix files up), and reported files never come back.
 */
test('no file becomes due while any batch refers to it, under random sequences', () => {
  const step = fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('commit' as const), parts: fc.array(fc.record({ topic: fc.constantFrom('a', 'b'), partition: fc.nat({ max: 2 }) }), { minLength: 1, maxLength: 4 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteRecords' as const), topic: fc.constantFrom('a', 'b'), partition: fc.nat({ max: 2 }), back: fc.nat({ max: 4 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('retention' as const), bytes: fc.integer({ min: -1, max: 400 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('recreate' as const), topic: fc.constantFrom('a', 'b') }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('report' as const), limit: fc.integer({ min: 1, max: 5 }), extra: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('time' as const), ms: fc.integer({ min: 0, max: GRACE }) }) },
  );
  fc.assert(
    fc.property(fc.array(step, { minLength: 10, maxLength: 120 }), (steps) => {
      const s = setup();
      s.create('a', 3);
      s.create('b', 3);
      const committedIn = new Map<string, string>();
      const reported = new Set<string>();
      let n = 0;
      for (const st of steps) {
        if (st.op === 'commit') {
          const fileId = `f${n++}`;
          const out = s.commit(fileOf(fileId, st.parts.map((p) => ({ ...p, byteLength: 50 }))));
          out.results.forEach((r) => 'baseOffset' in r && committedIn.set(`${r.topic}/${r.partition}@${r.baseOffset}`, fileId));
        } else if (st.op === 'deleteRecords') {
          const log = s.core.state.partition(st.topic, st.partition);
          if (log) s.deleteRecords([{ topic: st.topic, partition: st.partition, offset: Math.max(0, log.highWatermark - st.back) }]);
        } else if (st.op === 'retention') {
          for (const t of ['a', 'b']) s.alter(t, { 'retention.bytes': st.bytes });
          s.maintain({ partitionsPerStep: 2, batchesPerStep: 3, itemsPerStep: 10 });
        } else if (st.op === 'recreate') {
          s.deleteTopic(st.topic);
          for (const key of [...committedIn.keys()]) if (key.startsWith(`${st.topic}/`)) committedIn.delete(key);
          s.create(st.topic, 3);
        } else if (st.op === 'report') {
          const due = listDueFiles(s.core.state, s.now(), GRACE, { limit: st.limit }).items.map((f) => f.fileId);
          const ids = st.extra ? [...due, [...committedIn.values()][0] ?? 'x'] : due;
          const out = s.filesDeleted(ids.length > 0 ? ids : ['x']);
          for (const f of out.files) if (f.result === 'deleted') reported.add(f.fileId);
        } else {
          s.advance(st.ms);
        }
        // Every indexed batch: its file is live and is the one it was committed in.
        const refs = new Map<string, number>();
        for (const t of s.core.state.topics.values()) {
          t.partitions.forEach((log, p) => {
            for (let i = 0; i < log.index.length; i++) {
              const f = s.core.state.files.view(log.index.file(i))!;
              assert.equal(f.state, FILE_LIVE, `${f.id} is referred to, so it must be live`);
              assert.equal(f.id, committedIn.get(`${t.name}/${p}@${log.index.baseOffset(i)}`));
              assert.ok(!reported.has(f.id));
              refs.set(f.id, (refs.get(f.id) ?? 0) + 1);
            }
          });
        }
        for (const [, f] of s.core.state.files.entries()) assert.equal(f.live, refs.get(f.id) ?? 0, `${f.id}'s live count`);
        for (const f of listDueFiles(s.core.state, s.now(), GRACE, { limit: 1000 }).items) assert.equal(refs.has(f.fileId), false, `${f.fileId} is due but referred to`);
        for (const id of reported) assert.equal(s.core.state.fileById(id), undefined);
      }
      const replayed = new ClusterCore();
      for (const e of s.journal) replayed.replay(e);
      assert.deepEqual(encodeState(replayed.state), encodeState(s.core.state));
      assert.deepEqual(encodeState(decodeState(encodeState(s.core.state))), encodeState(s.core.state));
    }),
    { numRuns: 200 },
  );
});
