import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommitFileInput } from '../../services/metadata/types';
import { startTestDynamo } from '../helpers/dynamo';
import { clusterRef, fileOf, rejectsWith } from '../helpers/metadata';
import { journalOf, metadataNode } from '../helpers/metadata-node';

/**
 * Bad requests through the service on a real store: each gets a 4xx with a stable code,
 * and neither the cluster's state nor its journal changes.
 */

const valid = () => fileOf('fresh', [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
/** A valid commit with one thing changed (`patch` edits a deep copy). */
const commitWith = (patch: (f: CommitFileInput & Record<string, unknown>) => void) => {
  const f = structuredClone(valid()) as CommitFileInput & Record<string, unknown>;
  patch(f);
  return f;
};
const batch0 = (f: CommitFileInput) => f.batches[0] as unknown as Record<string, unknown>;

test('bad inputs get 4xx codes and change nothing, state and journal alike', async (t) => {
  const d = await startTestDynamo();
  const node = metadataNode(d, 'node-a');
  t.after(async () => {
    await node.close();
    await d.close();
  });
  const cluster = clusterRef();
  const multiRegion = clusterRef({ clusterId: 'vci_multi', regions: ['eu-west-1', 'us-east-1', 'us-west-2'], writeQuorum: 2 });
  await node.createTopic(cluster, { name: 't', partitions: 2 });
  await node.commitFile(cluster, fileOf('taken', [{ topic: 't', partition: 0 }]));
  const state = await node.exportState(cluster);
  const journal = (await journalOf(d, cluster)).length;

  const commit = (f: unknown) => node.commitFile(cluster, f as CommitFileInput);
  const fetch = (input: unknown) => node.fetchPlan(cluster, input as never);
  const list = (input: unknown) => node.listOffsets(cluster, input as never);
  const part = (over: Record<string, unknown>) => ({ partitions: [{ topic: 't', partition: 0, offset: 0, maxBytes: 100, ...over }], maxBytes: 1000 });
  const cases: [string, () => Promise<unknown>, number, string][] = [
    ['commit that is not an object', () => commit('file'), 400, 'invalid_request'],
    ['fileId with spaces', () => commit(commitWith((f) => (f.fileId = 'a b'))), 400, 'invalid_file_id'],
    ['empty objectKey', () => commit(commitWith((f) => (f.objectKey = ''))), 400, 'invalid_object_key'],
    ['fractional sizeBytes', () => commit(commitWith((f) => (f.sizeBytes = 100.5))), 400, 'invalid_size'],
    ['sizeBytes as a string', () => commit(commitWith((f) => ((f as Record<string, unknown>).sizeBytes = '200'))), 400, 'invalid_size'],
    ['no replicas', () => commit(commitWith((f) => (f.replicas = []))), 400, 'invalid_replicas'],
    ['replica in a foreign region', () => commit(commitWith((f) => (f.replicas[0].region = 'ap-south-1'))), 422, 'unknown_replica_region'],
    ['the same region twice', () => commit(commitWith((f) => f.replicas.push({ ...f.replicas[0] }))), 400, 'duplicate_replica_region'],
    ['fewer regions than the write quorum', () => node.commitFile(multiRegion, commitWith((f) => (f.replicas[0] = { region: 'eu-west-1', bucket: 'bucket-eu-west-1', checksum: 'c' }))), 422, 'insufficient_replicas'],
    ['replica naming a bucket the cluster lacks', () => commit(commitWith((f) => (f.replicas[0].bucket = 's3://someone-else/data'))), 422, 'unknown_replica_bucket'],
    ['replica naming another region\'s bucket', () => node.commitFile(multiRegion, commitWith((f) => f.replicas.push({ region: 'eu-west-1', bucket: 'bucket-us-west-2', checksum: 'c' }))), 422, 'unknown_replica_bucket'],
    ['no batches', () => commit(commitWith((f) => (f.batches = []))), 400, 'no_batches'],
    ['10,000 batches', () => commit(fileOf('many', Array.from({ length: 10_000 }, () => ({ topic: 't', partition: 0, byteLength: 1 })))), 400, 'too_many_batches'],
    ['negative partition', () => commit(commitWith((f) => (f.batches[0].partition = -1))), 400, 'invalid_partition'],
    ['huge partition', () => commit(commitWith((f) => (f.batches[0].partition = 2 ** 31))), 400, 'invalid_partition'],
    ['partition 1e15', () => commit(commitWith((f) => (f.batches[0].partition = 1e15))), 400, 'invalid_partition'],
    ['fractional partition', () => commit(commitWith((f) => (f.batches[0].partition = 0.5))), 400, 'invalid_partition'],
    ['partition as a string', () => commit(commitWith((f) => (batch0(f).partition = '0'))), 400, 'invalid_partition'],
    ['invalid topic name', () => commit(commitWith((f) => (f.batches[0].topic = '../etc'))), 400, 'invalid_topic_name'],
    ['negative byteOffset', () => commit(commitWith((f) => (f.batches[0].byteOffset = -1))), 400, 'invalid_byte_range'],
    ['zero byteLength', () => commit(commitWith((f) => (f.batches[0].byteLength = 0))), 400, 'invalid_byte_range'],
    ['range past sizeBytes', () => commit(commitWith((f) => (f.sizeBytes = 150))), 400, 'batch_outside_file'],
    ['NaN recordCount', () => commit(commitWith((f) => (f.batches[0].recordCount = NaN))), 400, 'invalid_record_count'],
    ['zero recordCount', () => commit(commitWith((f) => (f.batches[0].recordCount = 0))), 400, 'invalid_record_count'],
    ['timestamp below -1', () => commit(commitWith((f) => (f.batches[0].maxTimestamp = -2))), 400, 'invalid_timestamp'],
    ['producerId without epoch and sequence', () => commit(commitWith((f) => (f.batches[0].producerId = 5))), 400, 'invalid_producer_fields'],
    ['negative producer epoch', () => commit(commitWith((f) => Object.assign(f.batches[0], { producerId: 5, producerEpoch: -3, baseSequence: 0 }))), 400, 'invalid_producer_fields'],
    ['the same batch twice', () => commit(commitWith((f) => (f.batches[1] = { ...f.batches[0] }))), 400, 'duplicate_batch'],
    ['overlapping byte ranges', () => commit(commitWith((f) => (f.batches[1].byteOffset = 50))), 400, 'overlapping_batches'],
    ['a used fileId with another body', () => commit(commitWith((f) => (f.fileId = 'taken'))), 409, 'file_id_conflict'],
    ['fetch without partitions', () => fetch({ maxBytes: 10 }), 400, 'invalid_request'],
    ['fetch at a negative offset', () => fetch(part({ offset: -1 })), 400, 'invalid_offset'],
    ['fetch at a fractional offset', () => fetch(part({ offset: 1.5 })), 400, 'invalid_offset'],
    ['fetch with a negative budget', () => fetch(part({ maxBytes: -1 })), 400, 'invalid_max_bytes'],
    ['fetch without a request budget', () => fetch({ partitions: part({}).partitions }), 400, 'invalid_max_bytes'],
    ['fetch of a huge partition number', () => fetch(part({ partition: 2 ** 40 })), 400, 'invalid_partition'],
    ['fetch naming a partition twice', () => fetch({ partitions: [...part({}).partitions, ...part({}).partitions], maxBytes: 10 }), 400, 'duplicate_partition'],
    ['fetch of 10,001 partitions', () => fetch({ partitions: Array.from({ length: 10_001 }, (_, i) => ({ topic: 't', partition: i, offset: 0, maxBytes: 1 })), maxBytes: 1 }), 400, 'too_many_partitions'],
    ['list offsets at timestamp -4', () => list({ partitions: [{ topic: 't', partition: 0, timestamp: -4 }] }), 400, 'invalid_timestamp'],
    ['list offsets at a fractional timestamp', () => list({ partitions: [{ topic: 't', partition: 0, timestamp: 1.25 }] }), 400, 'invalid_timestamp'],
    ['list offsets of a negative partition', () => list({ partitions: [{ topic: 't', partition: -1, timestamp: -1 }] }), 400, 'invalid_partition'],
    ['create a topic with a bad name', () => node.createTopic(cluster, { name: 'a/b', partitions: 1 }), 400, 'invalid_topic_name'],
    ['create a topic with 1.5 partitions', () => node.createTopic(cluster, { name: 'x', partitions: 1.5 }), 400, 'invalid_partitions'],
    ['create an existing topic', () => node.createTopic(cluster, { name: 't', partitions: 1 }), 409, 'topic_exists'],
    ['describe an unknown topic', () => node.describeTopic(cluster, 'nope'), 404, 'unknown_topic'],
    ['update an unknown topic', () => node.updateTopic(cluster, 'nope', { partitions: 3 }), 404, 'unknown_topic'],
    ['delete an unknown topic', () => node.deleteTopic(cluster, 'nope'), 404, 'unknown_topic'],
    ['shrink a topic', () => node.addPartitions(cluster, 't', 1), 422, 'partition_count_not_increased'],
    ['unknown config key', () => node.alterTopicConfig(cluster, 't', { 'segment.bytes': 1 } as never), 400, 'unknown_config'],
  ];
  for (const [label, run, status, code] of cases) {
    await t.test(label, () => rejectsWith(run(), status, code).then(() => undefined));
  }
  // Unknown topics and partitions in reads are answered per partition, also without side effects.
  const plan = await fetch({ partitions: [{ topic: 'nope', partition: 0, offset: 0, maxBytes: 1 }, { topic: 't', partition: 9, offset: 0, maxBytes: 1 }, { topic: 't', partition: 0, offset: 99, maxBytes: 1 }], maxBytes: 1 });
  assert.deepEqual(plan.partitions.map((p) => p.error), ['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', 'OFFSET_OUT_OF_RANGE']);

  assert.deepEqual(await node.exportState(cluster), state, 'the state is unchanged');
  assert.equal((await journalOf(d, cluster)).length, journal, 'nothing was appended');
  assert.equal((await journalOf(d, multiRegion)).length, 0, 'the refused multi-region commit did not even start a sequencer');
});
