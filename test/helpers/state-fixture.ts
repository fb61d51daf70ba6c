import { ClusterCore, type WriteRequest } from '../../services/metadata/core';
import { validateDeleteRecords } from '../../services/metadata/log-start';
import { Topic } from '../../services/metadata/state';
import { validateCommit } from '../../services/metadata/validate-commit';
import { clusterRef, fileOf } from './metadata';

/**
 * A small state with a bit of everything the index holds (varied record counts, timestamps
 * including none, byte offsets past 4 GiB, producer windows, trimmed log starts, marked
 * files, a missing replica), built the same way every time. test/fixtures/state-format-*.b64
 * hold its encoding in older snapshot formats (-plain: without the missing replica), so that a
 * test can check they still load.
 */
export function fixtureState(missingReplica = true): ClusterCore {
  const cluster = clusterRef({ regions: ['eu-west-1', 'us-east-1'], writeQuorum: 1, buckets: [{ region: 'eu-west-1', url: 'bucket-eu-west-1' }, { region: 'us-east-1', url: 'bucket-us-east-1' }] });
  const core = new ClusterCore();
  let now = 1_700_000_000_000;
  const run = (req: WriteRequest) => core.execute(req, ++now).answer;
  run({ kind: 'createTopic', cluster, input: { name: 'orders', partitions: 3 } });
  run({ kind: 'createTopic', cluster, input: { name: 'logs', partitions: 1 } });
  // Topic ids are random: fixed ones, so that every build encodes alike.
  for (const t of [...core.state.topics.values()]) core.state.topics.set(t.name, new Topic(t.name, `id-${t.name}`, t.createdAt, t.config, t.partitions));
  for (let i = 0; i < 30; i++) {
    const specs = [
      { topic: 'orders', partition: i % 3, recordCount: 1 + ((i * 7) % 11), maxTimestamp: i % 5 === 0 ? -1 : 1_700_000_000_000 + i * 1_000 },
      { topic: 'logs', partition: 0, recordCount: 100 + i, maxTimestamp: 1_600_000_000_000 + ((i * 37) % 13) * 86_400_000 },
    ];
    if (i % 4 === 1) specs.push({ topic: 'orders', partition: 2, recordCount: 5, producer: { id: 7, epoch: 0, seq: Math.floor(i / 4) * 5 } } as never);
    run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf(`f${i}`, specs), cluster) });
  }
  // Batches past 4 GiB into their file.
  run({ kind: 'commitFile', cluster, commit: validateCommit(fileOf('big', [{ topic: 'logs', partition: 0, byteLength: 2 ** 32 - 1 }, { topic: 'logs', partition: 0, byteLength: 2 ** 32 - 1 }, { topic: 'orders', partition: 1, byteLength: 10 }]), cluster) });
  run({ kind: 'deleteRecords', cluster, input: validateDeleteRecords({ partitions: [{ topic: 'orders', partition: 0, offset: 20 }, { topic: 'logs', partition: 0, offset: 500 }] }) });
  if (missingReplica) run({ kind: 'replicaMissing', cluster, fileId: 'f29', input: { region: 'us-east-1', bucket: 'bucket-us-east-1' } });
  return core;
}
