import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterCore } from '../../services/metadata/core';
import { FILE_DELETE_PENDING, FILE_LIVE } from '../../services/metadata/state';
import type { ClusterRef, CommitFileInput, CommitFileResult, FetchPlanInput } from '../../services/metadata/types';
import { validateCommit } from '../../services/metadata/validate-commit';
import { validateFetchPlan, validateListOffsets } from '../../services/metadata/validate-reads';
import { clusterRef, fileOf, rejectsWith, type BatchSpec } from '../helpers/metadata';

/** Kafka semantics the model test reaches only rarely, pinned down case by case. */

function setup(over: Partial<ClusterRef> = {}) {
  const cluster = clusterRef(over);
  const core = new ClusterCore();
  let now = 1_000;
  const commit = (file: CommitFileInput) =>
    core.execute({ kind: 'commitFile', cluster, commit: validateCommit(file, cluster) }, ++now).answer as CommitFileResult;
  const create = (name: string, partitions: number, config?: object) =>
    core.execute({ kind: 'createTopic', cluster, input: { name, partitions, config } }, ++now);
  return { cluster, core, commit, create };
}

const offsetsOf = (r: CommitFileResult) => r.results.map((x) => ('error' in x ? x.error : [x.baseOffset, x.lastOffset, x.duplicate]));

test('idempotent producer: a window of five batches, duplicates get their original offsets, epochs fence', () => {
  const { commit, create } = setup();
  create('t', 1);
  const p = (seq: number, epoch = 0, recordCount = 2): BatchSpec => ({ topic: 't', partition: 0, recordCount, producer: { id: 7, epoch, seq } });
  for (let i = 0; i < 6; i++) assert.deepEqual(offsetsOf(commit(fileOf(`f${i}`, [p(i * 2)]))), [[i * 2, i * 2 + 1, false]]);
  // Batch 0 left the window; batch 1 (seq 2) is the oldest still in it.
  assert.deepEqual(offsetsOf(commit(fileOf('again-0', [p(0)]))), ['OUT_OF_ORDER_SEQUENCE']);
  assert.deepEqual(offsetsOf(commit(fileOf('again-1', [p(2)]))), [[2, 3, true]]);
  assert.deepEqual(offsetsOf(commit(fileOf('again-5', [p(10)]))), [[10, 11, true]]);
  // The same first sequence with another length is not the same batch.
  assert.deepEqual(offsetsOf(commit(fileOf('other-len', [p(10, 0, 3)]))), ['OUT_OF_ORDER_SEQUENCE']);
  assert.deepEqual(offsetsOf(commit(fileOf('gap', [p(14)]))), ['OUT_OF_ORDER_SEQUENCE']);
  assert.deepEqual(offsetsOf(commit(fileOf('next', [p(12)]))), [[12, 13, false]]);
  // A new epoch must restart at sequence 0; then the old epoch is fenced.
  assert.deepEqual(offsetsOf(commit(fileOf('bump-bad', [p(14, 1)]))), ['OUT_OF_ORDER_SEQUENCE']);
  assert.deepEqual(offsetsOf(commit(fileOf('bump', [p(0, 1)]))), [[14, 15, false]]);
  assert.deepEqual(offsetsOf(commit(fileOf('zombie', [p(14, 0)]))), ['INVALID_PRODUCER_EPOCH']);
  // A producer never seen may start anywhere; sequences wrap at 2^31.
  const q = (seq: number): BatchSpec => ({ topic: 't', partition: 0, recordCount: 2, producer: { id: 8, epoch: 0, seq } });
  assert.deepEqual(offsetsOf(commit(fileOf('wrap-1', [q(2 ** 31 - 2)]))), [[16, 17, false]]);
  assert.deepEqual(offsetsOf(commit(fileOf('wrap-2', [q(0)]))), [[18, 19, false]]);
  // Several batches of one producer in one file are checked in order.
  assert.deepEqual(offsetsOf(commit(fileOf('multi', [q(2), q(4), q(4)]))), [[20, 21, false], [22, 23, false], [22, 23, true]]);
});

test('fetch plans follow Kafka: the first partition with data always gets one batch, budgets bound the rest', () => {
  const { core, commit, create } = setup();
  create('t', 3);
  commit(fileOf('f1', [
    { topic: 't', partition: 0, recordCount: 5, byteLength: 1000 },
    { topic: 't', partition: 0, recordCount: 5, byteLength: 10 },
    { topic: 't', partition: 1, recordCount: 1, byteLength: 10 },
    { topic: 't', partition: 1, recordCount: 1, byteLength: 10 },
  ]));
  const plan = (input: FetchPlanInput) =>
    core.fetchPlan(validateFetchPlan(input)).partitions.map((p) => p.error ?? p.batches.map((b) => `${b.baseOffset}-${b.lastOffset}`).join(','));
  // A batch larger than both budgets still goes out, because it is the first data of the request.
  assert.deepEqual(plan({ partitions: [{ topic: 't', partition: 0, offset: 3, maxBytes: 1 }, { topic: 't', partition: 1, offset: 0, maxBytes: 100 }], maxBytes: 15 }), ['0-4', '']);
  // Once data is in the response, later partitions get only what fits in what is left.
  assert.deepEqual(plan({ partitions: [{ topic: 't', partition: 1, offset: 0, maxBytes: 100 }, { topic: 't', partition: 0, offset: 0, maxBytes: 5000 }], maxBytes: 1015 }), ['0-0,1-1', '']);
  assert.deepEqual(plan({ partitions: [{ topic: 't', partition: 1, offset: 0, maxBytes: 100 }, { topic: 't', partition: 0, offset: 0, maxBytes: 5000 }], maxBytes: 1030 }), ['0-0,1-1', '0-4,5-9']);
  // An empty partition before does not use up the guarantee; offset == high watermark is valid and empty.
  assert.deepEqual(plan({ partitions: [{ topic: 't', partition: 2, offset: 0, maxBytes: 0 }, { topic: 't', partition: 0, offset: 10, maxBytes: 0 }, { topic: 't', partition: 0 + 1, offset: 1, maxBytes: 0 }], maxBytes: 0 }), ['', '', '1-1']);
  assert.deepEqual(plan({ partitions: [{ topic: 't', partition: 0, offset: 11, maxBytes: 10 }, { topic: 't', partition: 3, offset: 0, maxBytes: 10 }, { topic: 'nope', partition: 0, offset: 0, maxBytes: 10 }], maxBytes: 10 }), [
    'OFFSET_OUT_OF_RANGE',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'UNKNOWN_TOPIC_OR_PARTITION',
  ]);
  const full = core.fetchPlan(validateFetchPlan({ partitions: [{ topic: 't', partition: 0, offset: 7, maxBytes: 10 }], maxBytes: 10 })).partitions[0];
  assert.deepEqual(full, {
    topic: 't',
    partition: 0,
    highWatermark: 10,
    logStartOffset: 0,
    batches: [{ fileId: 'f1', objectKey: 'objects/f1', replicas: [{ region: 'us-east-1', bucket: 'bucket-us-east-1', checksum: 'sha256-f1' }], byteOffset: 1000, byteLength: 10, baseOffset: 5, lastOffset: 9, maxTimestamp: 1_700_000_000_000 }],
  });
});

test('list offsets: latest, earliest, max timestamp (earliest batch holding it) and by timestamp', () => {
  const { core, commit, create } = setup();
  create('t', 2);
  commit(fileOf('f1', [10, 30, 20, 30, -1].map((ts) => ({ topic: 't', partition: 0, recordCount: 3, maxTimestamp: ts }))));
  const list = (partition: number, ...timestamps: number[]) =>
    core.listOffsets(validateListOffsets({ partitions: timestamps.map((timestamp) => ({ topic: 't', partition, timestamp })) })).partitions.map((p) => [p.offset, p.timestamp]);
  assert.deepEqual(list(0, -1, -2, -3, 0, 11, 25, 30, 31), [[15, -1], [0, -1], [3, 30], [0, 10], [3, 30], [3, 30], [3, 30], [-1, -1]]);
  assert.deepEqual(list(1, -1, -2, -3, 5), [[0, -1], [0, -1], [-1, -1], [-1, -1]]);
});

test('deleting a topic releases its batches; a file is marked for deletion when its last live batch goes', () => {
  const { core, commit, create, cluster } = setup();
  create('a', 1);
  create('b', 1);
  commit(fileOf('shared', [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]));
  commit(fileOf('only-a', [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 0 }]));
  commit(fileOf('rejected', [{ topic: 'nope', partition: 0 }]));
  const file = (id: string) => core.state.fileById(id)!;
  assert.equal(file('rejected').state, FILE_DELETE_PENDING, 'a file nothing was accepted from is garbage at once');
  core.execute({ kind: 'deleteTopic', cluster, name: 'a' }, 5_000);
  assert.deepEqual([file('shared').live, file('shared').state], [1, FILE_LIVE]);
  assert.deepEqual([file('only-a').live, file('only-a').state, file('only-a').markedAt], [0, FILE_DELETE_PENDING, 5_000]);
  core.execute({ kind: 'deleteTopic', cluster, name: 'b' }, 6_000);
  assert.deepEqual([file('shared').state, file('shared').markedAt], [FILE_DELETE_PENDING, 6_000]);
  // A topic created again under the old name is a new topic with a new id and empty partitions.
  const before = core.state.totalPartitions;
  create('a', 2);
  assert.equal(core.describeTopic('a').partitionDetails[0].highWatermark, 0);
  assert.equal(core.state.totalPartitions, before + 2);
});

test('auto-created topics use the cluster defaults, stay within the partition limit and avoid name collisions', () => {
  const { core, commit, create } = setup({ autoCreateTopics: true, defaultPartitions: 3, limits: { partitionsPerCluster: 8, maxRetentionMs: -1 } });
  create('x.y', 1);
  const r = commit(fileOf('f1', [
    { topic: 'one', partition: 2 },
    { topic: 'x_y', partition: 0 },
    { topic: 'two', partition: 0 },
    { topic: 'three', partition: 0 },
  ]));
  assert.deepEqual(offsetsOf(r), [[0, 0, false], 'UNKNOWN_TOPIC_OR_PARTITION', [0, 0, false], 'UNKNOWN_TOPIC_OR_PARTITION']);
  assert.deepEqual(core.listTopics().map((t) => [t.name, t.partitions, t.config['retention.ms']]), [['one', 3, 86_400_000], ['two', 3, 86_400_000], ['x.y', 1, 86_400_000]]);
});

test('topic rules: Kafka names, partition counts, config values and the tier limits', async () => {
  const { core, create, cluster } = setup({ limits: { partitionsPerCluster: 10, maxRetentionMs: 1000 } });
  const fails = (status: number, code: string, name: unknown, partitions: unknown, config?: unknown) =>
    rejectsWith(() => core.execute({ kind: 'createTopic', cluster, input: { name, partitions, config } }, 1), status, code);
  for (const name of ['', '.', '..', 'a b', 'ü', 'x'.repeat(250), 42, null]) await fails(400, 'invalid_topic_name', name, 1, { 'retention.ms': 10 });
  for (const partitions of [0, -1, 1.5, '2', null, 2 ** 31]) await fails(400, 'invalid_partitions', 't', partitions, { 'retention.ms': 10 });
  await fails(400, 'unknown_config', 't', 1, { 'segment.ms': 1 });
  await fails(400, 'unsupported_cleanup_policy', 't', 1, { 'cleanup.policy': 'compact' });
  await fails(400, 'invalid_config', 't', 1, { 'retention.ms': 'soon' });
  await fails(400, 'invalid_config', 't', 1, { 'retention.bytes': -2 });
  await fails(400, 'invalid_config', 't', 1, []);
  await fails(422, 'retention_exceeds_tier', 't', 1, { 'retention.ms': 1001 });
  await fails(422, 'retention_exceeds_tier', 't', 1, { 'retention.ms': -1 });
  await fails(422, 'retention_exceeds_tier', 't', 1); // the cluster default is above this tier's maximum
  await fails(422, 'partition_limit_exceeded', 't', 11, { 'retention.ms': 10 });
  const ok = create('x'.repeat(249), 4, { 'retention.ms': '1000', 'retention.bytes': 5, 'cleanup.policy': 'delete' }).answer as { config: object };
  assert.deepEqual(ok.config, { 'retention.ms': 1000, 'retention.bytes': 5, 'cleanup.policy': 'delete' });
  await fails(409, 'topic_exists', 'x'.repeat(249), 1, { 'retention.ms': 10 });
  create('a.b', 1, { 'retention.ms': 10 });
  await fails(409, 'topic_name_collision', 'a_b', 1, { 'retention.ms': 10 });
  await fails(422, 'partition_limit_exceeded', 'c', 6, { 'retention.ms': 10 });
  // Altering only retention.bytes does not re-check retention.ms against the tier.
  const update = (name: string, input: unknown) => core.execute({ kind: 'updateTopic', cluster: { ...cluster, limits: { ...cluster.limits, maxRetentionMs: 5 } }, name, input }, 2);
  assert.equal((update('a.b', { config: { 'retention.bytes': 100 } }).answer as { config: Record<string, number> }).config['retention.bytes'], 100);
  await rejectsWith(() => update('a.b', { config: { 'retention.ms': 6 } }), 422, 'retention_exceeds_tier');
  await rejectsWith(() => update('a.b', { partitions: 0 }), 400, 'invalid_partitions');
  await rejectsWith(() => update('a.b', { partitions: 7 }), 422, 'partition_limit_exceeded');
  await rejectsWith(() => update('x'.repeat(249), { partitions: 3 }), 422, 'partition_count_not_increased');
  await rejectsWith(() => update('missing', { partitions: 3 }), 404, 'unknown_topic');
  assert.equal(update('a.b', { partitions: 1 }).bytes, null, 'the same partition count changes nothing');
  assert.equal(update('a.b', { partitions: 2 }).bytes instanceof Uint8Array, true);
  assert.equal(core.state.totalPartitions, 4 + 2);
});
