import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { listDueFiles } from '../../services/metadata/file-lifecycle';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import type { ClusterState } from '../../services/metadata/state';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import type { FetchPlanInput, FetchPlanPartition, FetchPlanResult } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateFetchPlan } from '../../services/metadata/validate-reads';
import { isAppError } from '../../shared/errors';
import { clusterRef, fileOf } from '../helpers/metadata';

/**
 * Fetch plans read a file's id, key and replicas from the file table's dense per-number
 * columns (file-table.ts), not from its record. Random commits, delete records, deletion
 * reports (whose file numbers the next commits reuse) and leader changes through a snapshot:
 * the columns always agree with the records, and every fetch plan equals the one the plain
 * record-reading implementation (below, as it was) gives.
 */

/** The fetch plan as built before the columns: batch by batch, from each file's record. */
function recordFetchPlan(state: ClusterState, input: FetchPlanInput): FetchPlanResult {
  let remaining = input.maxBytes;
  let firstWithData = true;
  const partitions: FetchPlanPartition[] = [];
  for (const req of input.partitions) {
    const log = state.partition(req.topic, req.partition);
    if (!log) {
      partitions.push({ topic: req.topic, partition: req.partition, highWatermark: -1, logStartOffset: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION', batches: [] });
      continue;
    }
    const out: FetchPlanPartition = { topic: req.topic, partition: req.partition, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset, batches: [] };
    partitions.push(out);
    if (req.offset < log.logStartOffset || req.offset > log.highWatermark) {
      out.error = 'OFFSET_OUT_OF_RANGE';
      continue;
    }
    const ix = log.index;
    const first = req.offset === log.highWatermark ? -1 : ix.find(req.offset);
    if (first < 0) continue;
    const limit = Math.min(req.maxBytes, remaining);
    let used = 0;
    for (let i = first; i < ix.length; i++) {
      if (used + ix.byteLength(i) > limit && !(firstWithData && i === first)) break;
      used += ix.byteLength(i);
      const file = state.files.view(ix.file(i))!;
      out.batches.push({
        fileId: file.id,
        objectKey: file.objectKey,
        replicas: file.replicas,
        byteOffset: ix.byteOffset(i),
        byteLength: ix.byteLength(i),
        baseOffset: ix.baseOffset(i),
        lastOffset: ix.lastOffset(i),
        maxTimestamp: ix.maxTimestamp(i),
      });
    }
    if (out.batches.length > 0) firstWithData = false;
    remaining = Math.max(0, remaining - used);
  }
  return { partitions };
}

function assertColumnsAgree(state: ClusterState): void {
  const t = state.files;
  for (const col of [t.fileIds, t.objectKeys, t.replicaLists]) assert.equal(col.length, t.span, 'one slot per file number');
  for (let n = 0; n < t.span; n++) {
    const f = t.view(n);
    assert.equal(t.fileIds[n], f?.id, `file ${n}: id`);
    assert.equal(t.objectKeys[n], f?.objectKey, `file ${n}: object key`);
    assert.equal(t.replicaLists[n], f?.replicas, `file ${n}: replicas`);
  }
}

const cluster = clusterRef();
const partitionNo = fc.integer({ min: 0, max: 2 });
const command = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      fileId: fc.nat({ max: 60 }).map((n) => `f${n}`),
      batches: fc.array(fc.record({ partition: partitionNo, recordCount: fc.integer({ min: 1, max: 5 }), byteLength: fc.integer({ min: 1, max: 300 }), maxTimestamp: fc.integer({ min: -1, max: 5000 }) }), { minLength: 1, maxLength: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteRecords' as const), partition: partitionNo, at: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('report' as const), limit: fc.integer({ min: 1, max: 10 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('newLeader' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('fetch' as const),
      parts: fc.uniqueArray(fc.record({ topic: fc.constantFrom('t', 't', 't', 'gone'), partition: fc.integer({ min: 0, max: 3 }), at: fc.double({ min: -0.1, max: 1.1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 1500 }) }), {
        minLength: 1,
        maxLength: 4,
        selector: (p) => `${p.topic}/${p.partition}`,
      }),
      maxBytes: fc.integer({ min: 1, max: 2500 }),
    }),
  },
);

test('fetch plans from the file columns equal the plans read from the records, through deletions, reused file numbers and snapshots', () => {
  fc.assert(
    fc.property(fc.array(command, { minLength: 20, maxLength: 80 }), (commands) => {
      let core = new ClusterCore();
      let now = 1_000;
      const write = (req: WriteRequest) => core.execute(req, (now += 50)).answer;
      write({ kind: 'createTopic', cluster, input: { name: 't', partitions: 3 } });
      for (const c of commands) {
        switch (c.op) {
          case 'commit':
            try {
              write({ kind: 'commitFile', cluster, commit: validateCommit(fileOf(c.fileId, c.batches.map((b) => ({ topic: 't', ...b }))), cluster) });
            } catch (e) {
              if (!isAppError(e)) throw e; // the same file id with other batches: refused
            }
            break;
          case 'deleteRecords':
            {
            // Somewhere from the log start to the high watermark.
            const log = core.state.partition('t', c.partition)!;
            const offset = Math.floor(log.logStartOffset + c.at * (log.highWatermark - log.logStartOffset));
            write({ kind: 'deleteRecords', cluster, input: validateDeleteRecords({ partitions: [{ topic: 't', partition: c.partition, offset }] }) });
          }
            break;
          case 'report': {
            const due = listDueFiles(core.state, now + 1_000, 0, { limit: c.limit }).items.map((f) => f.fileId);
            if (due.length > 0) write({ kind: 'filesDeleted', cluster, fileIds: due });
            break;
          }
          case 'newLeader':
            core = new ClusterCore(decodeState(encodeState(core.state)));
            break;
          case 'fetch': {
            // Mostly within the log (a little outside it too), wherever the log is by now.
            const parts = c.parts.map(({ at, ...p }) => {
              const log = core.state.partition(p.topic, p.partition);
              const offset = log ? Math.max(0, Math.floor(log.logStartOffset + at * (log.highWatermark - log.logStartOffset))) : 0;
              return { ...p, offset };
            });
            const input = validateFetchPlan({ partitions: parts, maxBytes: c.maxBytes });
            assert.deepEqual(core.fetchPlan(input), recordFetchPlan(core.state, input));
            break;
          }
        }
        assertColumnsAgree(core.state);
      }
    }),
    { seed: 14, numRuns: 200 },
  );
});
