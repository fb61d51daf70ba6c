import type { CommitBody, Op } from './ops';
import { checkSequence, recordAppend } from './producer-window';
import { applyReplicaMissing, forgetMissingReplicas } from './replication';
import {
  ClusterState,
  encodeAppended,
  encodeDuplicate,
  encodeError,
  FILE_DELETE_PENDING,
  FILE_LIVE,
  PartitionLog,
  Topic,
} from './state';

/**
 * The state machine: the only code that changes a ClusterState. It is deterministic (the
 * outcome depends on the state and the operation alone), so the leader, which applies an
 * operation when it forms a journal entry, and a successor replaying that entry agree.
 * The leader only emits operations that apply; one that does not means the journal and the
 * code disagree, which is a fault to stop on, not a request error.
 */
export class InapplicableOpError extends Error {
  constructor(detail: string) {
    super(`journal operation does not apply: ${detail}`);
    this.name = 'InapplicableOpError';
  }
}

export function applyOp(state: ClusterState, op: Op): void {
  switch (op.type) {
    case 'fence':
      return;
    case 'createTopic': {
      if (state.topics.has(op.name)) throw new InapplicableOpError(`topic ${op.name} exists`);
      const partitions: PartitionLog[] = [];
      for (let i = 0; i < op.partitions; i++) partitions.push(new PartitionLog());
      state.topics.set(op.name, new Topic(op.name, op.topicId, op.at, Object.freeze({ ...op.config }), partitions));
      state.totalPartitions += op.partitions;
      return;
    }
    case 'deleteTopic':
      return deleteTopic(state, topicOf(state, op.name), op.at);
    case 'addPartitions': {
      const topic = topicOf(state, op.name);
      const added = op.partitions - topic.partitions.length;
      if (added <= 0) throw new InapplicableOpError(`topic ${op.name} already has ${topic.partitions.length} partitions`);
      for (let i = 0; i < added; i++) topic.partitions.push(new PartitionLog());
      state.totalPartitions += added;
      return;
    }
    case 'alterConfig':
      topicOf(state, op.name).config = Object.freeze({ ...op.config });
      return;
    case 'commitFile':
      return commitFile(state, op.body, op.fingerprint, op.at);
    case 'replicaMissing':
      return applyReplicaMissing(state, op);
  }
}

function topicOf(state: ClusterState, name: string): Topic {
  const topic = state.topics.get(name);
  if (!topic) throw new InapplicableOpError(`no topic ${name}`);
  return topic;
}

/** The topic goes; files lose its batches, and a file left with none is marked for deletion. */
function deleteTopic(state: ClusterState, topic: Topic, at: number): void {
  for (const log of topic.partitions) {
    const ix = log.index;
    for (let i = 0; i < ix.length; i++) releaseBatch(state, ix.file[i], at);
  }
  state.topics.delete(topic.name);
  state.totalPartitions -= topic.partitions.length;
}

function releaseBatch(state: ClusterState, fileNumber: number, at: number): void {
  const file = state.files[fileNumber];
  file.live--;
  if (file.live === 0 && file.state === FILE_LIVE) {
    file.state = FILE_DELETE_PENDING;
    file.markedAt = at;
    forgetMissingReplicas(state, fileNumber);
  }
}

function commitFile(state: ClusterState, body: CommitBody, fingerprint: string, at: number): void {
  if (state.fileNumbers.has(body.fileId)) throw new InapplicableOpError(`file ${body.fileId} is already committed`);
  const fileNumber = state.files.length;
  const results: number[] = new Array(body.batches.length);
  let live = 0;
  for (let i = 0; i < body.batches.length; i++) {
    const b = body.batches[i];
    const log = state.partition(b.topic, b.partition);
    if (!log) {
      results[i] = encodeError('UNKNOWN_TOPIC_OR_PARTITION');
      continue;
    }
    if (b.producerId >= 0) {
      const window = log.producers?.get(b.producerId);
      const check = checkSequence(window, b.producerEpoch, b.baseSequence, b.recordCount);
      if (check.kind === 'error') {
        results[i] = encodeError(check.code);
        continue;
      }
      if (check.kind === 'duplicate') {
        results[i] = encodeDuplicate(check.baseOffset);
        continue;
      }
      const base = log.append(b.recordCount, fileNumber, b.byteOffset, b.byteLength, b.maxTimestamp);
      (log.producers ??= new Map()).set(b.producerId, recordAppend(window, b.producerEpoch, b.baseSequence, b.recordCount, base));
      results[i] = encodeAppended(base);
    } else {
      results[i] = encodeAppended(log.append(b.recordCount, fileNumber, b.byteOffset, b.byteLength, b.maxTimestamp));
    }
    live++;
  }
  state.files.push({
    id: body.fileId,
    objectKey: body.objectKey,
    sizeBytes: body.sizeBytes,
    replicas: state.internReplicas(body.replicas),
    fingerprint,
    committedAt: at,
    results,
    live,
    // A file none of whose batches was accepted holds nothing anyone can read.
    state: live > 0 ? FILE_LIVE : FILE_DELETE_PENDING,
    markedAt: live > 0 ? 0 : at,
  });
  state.fileNumbers.set(body.fileId, fileNumber);
}
