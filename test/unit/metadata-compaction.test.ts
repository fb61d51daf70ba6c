import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import { buildEntry } from '../../services/metadata/ops';
import { validateCompactionResult, type CompactionResultInput } from '../../services/metadata/compaction';
import { compactionCandidates, DEFAULT_COMPACTION } from '../../services/metadata/job-reads';
import { listDueFiles } from '../../services/metadata/file-lifecycle';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';

/** Compaction's swap: exactly covered live inputs are swapped (offsets unchanged); anything else is refused and changes nothing. */

const cluster = clusterRef();
const settings = { ...DEFAULT_COMPACTION, minFiles: 3 };

function setup(files = 4) {
  const core = new ClusterCore();
  const journal: Uint8Array[] = [];
  let now = 1_000;
  const run = (req: WriteRequest) => {
    const out = core.execute(req, ++now);
    if (out.bytes) journal.push(buildEntry([out.bytes]));
    return out.answer as any;
  };
  run({ kind: 'createTopic', cluster, input: { name: 't', partitions: 2 } });
  for (let i = 0; i < files; i++) run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf(`f${i}`, [{ topic: 't', partition: 0, recordCount: 2 }, { topic: 't', partition: 1 }]), cluster) });
  return { core, journal, run, now: () => now };
}

/** What an honest agent reports for a candidate: the batches copied back to back into `fileId`. */
function resultFor(c: ReturnType<typeof compactionCandidates>[number], fileId: string): CompactionResultInput {
  let at = 0;
  const batches = c.batches.map((b) => {
    const out = { baseOffset: b.baseOffset, lastOffset: b.lastOffset, inputFileId: b.fileId, inputByteOffset: b.byteOffset, byteOffset: at, byteLength: b.byteLength };
    at += b.byteLength;
    return out;
  });
  return { fileId, objectKey: `objects/${fileId}`, sizeBytes: at, replicas: [{ region: 'us-east-1', bucket: 'bucket-us-east-1', checksum: 'sha256-c' }], segments: [{ topic: c.topic, partition: c.partition, batches }] };
}

const plan = (core: ClusterCore) => core.fetchPlan({ partitions: [0, 1].map((partition) => ({ topic: 't', partition, offset: 0, maxBytes: 1e9 })), maxBytes: 1e9 } as any);

test('a run of small files becomes one file; offsets stay, old files are marked once all their batches moved', () => {
  const { core, journal, run } = setup();
  const cands = compactionCandidates(core.state, settings, 10);
  assert.deepEqual(cands.map((c) => [c.partition, c.batches.length, c.files.length]), [[0, 4, 4], [1, 4, 4]]);
  const before = plan(core);
  const a = run({ kind: 'compactionResult', cluster, result: validateCompactionResult(resultFor(cands[0], 'c0'), cluster) });
  assert.equal(a.outcome, 'applied');
  assert.deepEqual(a.filesReleased, [], 'partition 1 still refers to the inputs');
  const b = run({ kind: 'compactionResult', cluster, result: validateCompactionResult(resultFor(cands[1], 'c1'), cluster) });
  assert.deepEqual(b.filesReleased, ['f0', 'f1', 'f2', 'f3']);
  const after = plan(core);
  for (let p = 0; p < 2; p++) {
    assert.deepEqual(after.partitions[p].batches.map((x: any) => [x.baseOffset, x.lastOffset, x.byteLength]), before.partitions[p].batches.map((x: any) => [x.baseOffset, x.lastOffset, x.byteLength]));
    assert.ok(after.partitions[p].batches.every((x: any) => x.fileId === `c${p}`));
  }
  assert.equal(listDueFiles(core.state, 1e15, 0, { limit: 10 }).items.length, 4);
  // Replay of the journal builds the same state; the snapshot codec keeps it.
  const replayed = new ClusterCore();
  for (const e of journal) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), encodeState(core.state));
  assert.deepEqual(encodeState(decodeState(encodeState(core.state))), encodeState(core.state));
  // A retried report answers the same and writes nothing.
  const n = journal.length;
  assert.equal(run({ kind: 'compactionResult', cluster, result: validateCompactionResult(resultFor(cands[0], 'c0'), cluster) }).duplicate, true);
  assert.equal(journal.length, n);
});

test('results that do not exactly cover live inputs are refused, change no batch, and their file is marked for deletion', () => {
  const { core, run } = setup();
  const [cand] = compactionCandidates(core.state, settings, 1);
  const good = resultFor(cand, 'x');
  const variants: [string, (r: CompactionResultInput) => void, string][] = [
    ['wrong offsets', (r) => { r.segments[0].batches[1].baseOffset += 1; }, 'offsets_mismatch'],
    ['a missing batch', (r) => { r.segments[0].batches.splice(1, 1); }, 'offsets_mismatch'],
    ['a wrong input file', (r) => { r.segments[0].batches[2].inputFileId = 'f0'; }, 'inputs_changed'],
    ['unknown start', (r) => { r.segments[0].batches[0].baseOffset = 999; }, 'offsets_not_found'],
  ];
  let k = 0;
  for (const [what, change, reason] of variants) {
    const r = structuredClone(good);
    r.fileId = `bad${k++}`;
    r.objectKey = `objects/${r.fileId}`;
    change(r);
    const state = encodeState(core.state);
    const before = plan(core);
    const a = run({ kind: 'compactionResult', cluster, result: validateCompactionResult(r, cluster) });
    assert.deepEqual([a.outcome, a.reason], ['refused', reason], what);
    assert.deepEqual(plan(core), before, `${what}: no batch moved`);
    assert.notDeepEqual(encodeState(core.state), state);
    assert.equal(core.state.files.byId(r.fileId)?.state, 1, `${what}: the new file is marked`);
  }
  // Applied once; a second result over the same (already compacted) inputs, or overlapping it, is refused.
  assert.equal(run({ kind: 'compactionResult', cluster, result: validateCompactionResult(good, cluster) }).outcome, 'applied');
  const again = resultFor(cand, 'y');
  assert.equal(run({ kind: 'compactionResult', cluster, result: validateCompactionResult(again, cluster) }).reason, 'inputs_changed');
  const overlapping = resultFor(cand, 'z');
  overlapping.segments[0].batches = overlapping.segments[0].batches.slice(1, 3);
  assert.equal(run({ kind: 'compactionResult', cluster, result: validateCompactionResult(overlapping, cluster) }).outcome, 'refused');
});

test('malformed results are 4xx and foreign buckets 422', async () => {
  const { core } = setup();
  const [cand] = compactionCandidates(core.state, settings, 1);
  const r = resultFor(cand, 'x');
  await rejectsWith(() => validateCompactionResult({ ...r, segments: [] }, cluster), 400, 'invalid_result');
  await rejectsWith(() => validateCompactionResult({ ...r, sizeBytes: 10 }, cluster), 400, 'batch_outside_file');
  await rejectsWith(() => validateCompactionResult({ ...r, replicas: [{ region: 'us-east-1', bucket: 's3://other', checksum: 'x' }] }, cluster), 422, 'unknown_replica_bucket');
});
