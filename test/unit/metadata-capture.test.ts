import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { columnsOf } from '../../services/metadata/batch-index';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { releaseCapture } from '../../services/metadata/state-capture';
import { captureForSnapshot, decodeState, encodeCapturedState, encodeState } from '../../services/metadata/state-codec';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf } from '../helpers/metadata';

/**
 * Snapshot captures (state-capture.ts): whatever the state does between the capture and the
 * end of the sliced encode (commits, retention moving log starts, files marked and removed,
 * topics deleted), the bytes are those of the state at the capture.
 */
const T0 = 1_700_000_000_000;

function cluster() {
  const ref = clusterRef({ limits: { partitionsPerCluster: 1000, maxRetentionMs: -1 } });
  const core = new ClusterCore();
  let n = 0;
  const run = (req: WriteRequest) => core.execute(req, T0 + n).answer;
  const commit = (parts: number[]) =>
    run({ kind: 'commitFile', cluster: ref, commit: validateCommit(fileOf(`f${n++}`, parts.map((p) => ({ topic: p < 4 ? 'a' : 'b', partition: p % 4, recordCount: 3 }))), ref) });
  return {
    core,
    create: () => {
      run({ kind: 'createTopic', cluster: ref, input: { name: 'a', partitions: 4 } });
      run({ kind: 'createTopic', cluster: ref, input: { name: 'b', partitions: 4 } });
    },
    commit,
    trim: (p: number, offset: number) => run({ kind: 'deleteRecords', cluster: ref, input: validateDeleteRecords({ partitions: [{ topic: p < 4 ? 'a' : 'b', partition: p % 4, offset }] }) }),
    deleteTopic: (name: string) => run({ kind: 'deleteTopic', cluster: ref, name }),
    filesDeleted: (ids: string[]) => run({ kind: 'filesDeleted', cluster: ref, fileIds: ids }),
  };
}

type Step = { kind: 'commit'; parts: number[] } | { kind: 'trim'; p: number; offset: number } | { kind: 'deleteTopic' } | { kind: 'filesDeleted' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('commit' as const), parts: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant('trim' as const), p: fc.integer({ min: 0, max: 7 }), offset: fc.integer({ min: 0, max: 60 }) }),
  fc.constant({ kind: 'deleteTopic' as const }),
  fc.constant({ kind: 'filesDeleted' as const }),
);

function apply(c: ReturnType<typeof cluster>, s: Step): void {
  try {
    if (s.kind === 'commit') c.commit(s.parts);
    else if (s.kind === 'trim') c.trim(s.p, Math.min(s.offset, c.core.state.partition(s.p < 4 ? 'a' : 'b', s.p % 4)?.highWatermark ?? 0));
    else if (s.kind === 'deleteTopic') c.deleteTopic('b');
    else {
      const marked: string[] = [];
      c.core.state.files.scanMarked(0, (n) => marked.push(c.core.state.files.idOf(n)!) < 3);
      if (marked.length > 0) c.filesDeleted(marked);
    }
  } catch {
    // Refused requests (a topic already deleted) change nothing.
  }
}

test('a capture encodes the state as it was, whatever happens while the slices run', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.array(step, { maxLength: 40 }), async (before, during) => {
      const c = cluster();
      c.create();
      for (const s of before) apply(c, s);
      const expected = encodeState(c.core.state);
      const capture = captureForSnapshot(c.core.state);
      // Slices of 0 ms: the encode yields after every step, and each yield lets a change in.
      const encoding = encodeCapturedState(capture, 0, 1);
      for (const s of during) {
        apply(c, s);
        await new Promise((r) => setImmediate(r));
      }
      const parts = await encoding;
      const bytes = Buffer.concat(parts);
      releaseCapture(capture);
      assert.deepEqual(new Uint8Array(bytes), expected);
      // The state after the changes still encodes and decodes to itself.
      const now = encodeState(c.core.state);
      assert.deepEqual(encodeState(decodeState(now)), now);
    }),
    { numRuns: 150 },
  );
});

test('while captured, dropping batches from the front copies the columns; after release it does not', () => {
  const c = cluster();
  c.create();
  for (let i = 0; i < 40; i++) c.commit([0]);
  const ix = c.core.state.partition('a', 0)!.index;
  const capture = captureForSnapshot(c.core.state);
  const pinned = ix.pinnedRows();
  c.trim(0, 3);
  assert.notEqual(ix.pinnedRows().u32, pinned.u32, 'the captured rows are left as they were');
  const [rel] = columnsOf(pinned);
  assert.deepEqual([rel[0], rel[1]], [0, 3]);
  releaseCapture(capture);
  const fresh = ix.pinnedRows().u32;
  c.trim(0, 6);
  assert.equal(ix.pinnedRows().u32, fresh, 'no capture: moved in place');
});
