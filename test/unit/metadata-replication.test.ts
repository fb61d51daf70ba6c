import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { decodeState, encodeState } from '../../services/metadata/state-codec';
import { buildEntry } from '../../services/metadata/ops';
import type { CommitFileInput } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';

/** Replicas reported missing: recorded through the journal, listed until the file is gone. */

const cluster = clusterRef({ regions: ['eu-west-1', 'us-east-1', 'us-west-2'], writeQuorum: 2 });
const replicated = (fileId: string, topic = 't'): CommitFileInput => {
  const f = fileOf(fileId, [{ topic, partition: 0, recordCount: 3 }]);
  f.replicas = cluster.regions.map((region) => ({ region, bucket: `bucket-${region}`, checksum: 'sha256-x' }));
  return f;
};

function setup() {
  const core = new ClusterCore();
  const journal: Uint8Array[] = [];
  let now = 1_000;
  const run = (req: WriteRequest) => {
    const out = core.execute(req, ++now);
    if (out.bytes) journal.push(buildEntry([out.bytes]));
    return out.answer as any;
  };
  run({ kind: 'createTopic', cluster, input: { name: 't', partitions: 1 } });
  run({ kind: 'createTopic', cluster, input: { name: 'u', partitions: 1 } });
  for (const id of ['f1', 'f2']) run({ kind: 'commitFile', cluster, commit: validateCommit(replicated(id), cluster) });
  run({ kind: 'commitFile', cluster, commit: validateCommit(replicated('g1', 'u'), cluster) });
  const report = (fileId: string, region: string, bucket = `bucket-${region}`) => run({ kind: 'replicaMissing', cluster, fileId, input: { region, bucket } });
  return { core, journal, run, report };
}

test('a missing replica is recorded once, summarised per region and listed for re-replication', () => {
  const { core, journal, report } = setup();
  const before = journal.length;
  assert.deepEqual(report('f1', 'us-east-1'), { fileId: 'f1', missingRegions: ['us-east-1'], remainingReplicas: 2 });
  assert.equal(journal.length, before + 1, 'the report is a journal entry');
  assert.deepEqual(report('f1', 'us-east-1'), { fileId: 'f1', missingRegions: ['us-east-1'], remainingReplicas: 2 }, 'a repeat answers the same');
  assert.equal(journal.length, before + 1, 'and writes nothing');
  report('f1', 'eu-west-1');
  report('f2', 'us-east-1');
  assert.deepEqual(core.replication(), { filesMissingReplicas: 2, missingByRegion: { 'us-east-1': 2, 'eu-west-1': 1 } });
  const listed = core.underReplicated(10);
  assert.deepEqual(listed.map((f) => [f.fileId, f.missingRegions, f.replicas.map((r) => r.region)]), [
    ['f1', ['eu-west-1', 'us-east-1'], ['us-west-2']],
    ['f2', ['us-east-1'], ['eu-west-1', 'us-west-2']],
  ]);
  assert.equal(core.underReplicated(1).length, 1, 'the list is bounded by its limit');
});

test('bad reports are refused and change nothing', async () => {
  const { core, journal, report } = setup();
  const state = encodeState(core.state);
  const entries = journal.length;
  await rejectsWith(() => report('nope', 'us-east-1'), 404, 'file_not_found');
  await rejectsWith(() => report('f1', 'ap-south-1'), 422, 'unknown_replica_region');
  await rejectsWith(() => report('f1', 'us-east-1', 's3://elsewhere'), 422, 'unknown_replica_bucket');
  const single = clusterRef();
  const core1 = new ClusterCore();
  core1.execute({ kind: 'createTopic', cluster: single, input: { name: 't', partitions: 1 } }, 1);
  const two = { ...single, regions: ['us-east-1', 'us-west-2'], buckets: [...single.buckets, { region: 'us-west-2', url: 'bucket-us-west-2' }] };
  core1.execute({ kind: 'commitFile', cluster: single, commit: validateCommit(fileOf('s1', [{ topic: 't', partition: 0 }]), single) }, 2);
  await rejectsWith(() => core1.execute({ kind: 'replicaMissing', cluster: two, fileId: 's1', input: { region: 'us-west-2', bucket: 'bucket-us-west-2' } }, 3), 422, 'replica_not_listed');
  assert.deepEqual(encodeState(core.state), state);
  assert.equal(journal.length, entries);
});

test('reports survive snapshot and replay; a file that stops being live leaves the list', () => {
  const { core, journal, run, report } = setup();
  report('f1', 'us-east-1');
  report('g1', 'us-west-2');
  const snapshot = encodeState(core.state);
  assert.deepEqual(encodeState(decodeState(snapshot)), snapshot, 'the snapshot keeps the reports');
  const replayed = new ClusterCore();
  for (const e of journal) replayed.replay(e);
  assert.deepEqual(encodeState(replayed.state), snapshot, 'replaying the journal builds the same state');

  run({ kind: 'deleteTopic', cluster, name: 'u' });
  assert.deepEqual(core.replication(), { filesMissingReplicas: 1, missingByRegion: { 'us-east-1': 1 } });
  assert.deepEqual(report('g1', 'eu-west-1'), { fileId: 'g1', missingRegions: [], remainingReplicas: 3 }, 'a deleted file is not re-listed');
  const replayedAgain = new ClusterCore();
  for (const e of journal) replayedAgain.replay(e);
  assert.deepEqual(encodeState(replayedAgain.state), encodeState(core.state));
});
