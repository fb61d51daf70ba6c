import { applyCommitOffsets, applyDeleteGroup, applyGroupAssigned, applyGroupJoined, dropTopicOffsets } from './group-records';
import { InapplicableOpError } from './inapplicable';
import type { CommitBody, Op } from './ops';
import type { PartitionRef } from './ops-log';
import { packResults } from './packed-results';
import { applyAllocate, applyExpireTransactional, applyInitTransactional } from './producer-ids';
import { APPEND, checkSequence, FENCED_EPOCH, recordAppend } from './producer-window';
import { applyReplicaMissing, applyReplicaRestored } from './replication';
import { applyReplaceFiles } from './compaction';
import { ClusterState, encodeAppended, encodeDuplicate, encodeError, FILE_DELETE_PENDING, FILE_LIVE, PartitionLog, Topic } from './state';

export { InapplicableOpError } from './inapplicable';

/**
 * The state machine: the only code that changes a ClusterState. It is deterministic (the
 * outcome depends on the state and the operation alone), so the leader, which applies an
 * operation when it forms a journal entry, and a successor replaying that entry agree.
 * The leader only emits operations that apply; one that does not means the journal and the
 * code disagree, which is a fault to stop on, not a request error.
 */
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
    case 'replicaRestored':
      return applyReplicaRestored(state, op);
    case 'replaceFiles':
      return applyReplaceFiles(state, op);
    case 'allocateProducerIds':
      return applyAllocate(state.producers, op.upTo);
    case 'initTransactional':
      return applyInitTransactional(state.producers, op.transactionalId, op.producerId, op.epoch, op.at);
    case 'expireProducers':
      for (const w of op.windows) {
        const log = partitionOf(state, w);
        if (!log.producers?.delete(w.producerId)) throw new InapplicableOpError(`no producer ${w.producerId} on ${w.topic}/${w.partition}`);
        if (log.producers.size === 0) log.producers = undefined;
      }
      for (const id of op.transactionalIds) applyExpireTransactional(state.producers, id);
      return;
    case 'advanceLogStart':
      for (const p of op.partitions) {
        const log = partitionOf(state, p);
        if (p.offset <= log.logStartOffset || p.offset > log.highWatermark) {
          throw new InapplicableOpError(`log start ${p.offset} of ${p.topic}/${p.partition} is outside (${log.logStartOffset}, ${log.highWatermark}]`);
        }
        log.advanceStart(p.offset, (file) => state.files.release(file, op.at));
      }
      return;
    case 'filesDeleted':
      for (const id of op.fileIds) {
        const n = state.files.numberOf(id);
        if (n === undefined || state.files.stateOf(n) !== FILE_DELETE_PENDING) throw new InapplicableOpError(`file ${id} is not marked for deletion`);
        state.files.remove(n);
        state.missingReplicas.delete(id);
      }
      return;
    case 'commitOffsets':
      return applyCommitOffsets(state.groups, op.group, op.offsets, op.at);
    case 'groupJoined':
      return applyGroupJoined(state.groups, op);
    case 'groupAssigned':
      return applyGroupAssigned(state.groups, op.group, op.generation, op.assignments);
    case 'deleteGroups':
      for (const g of op.groups) applyDeleteGroup(state.groups, g);
      return;
  }
}

function topicOf(state: ClusterState, name: string): Topic {
  const topic = state.topics.get(name);
  if (!topic) throw new InapplicableOpError(`no topic ${name}`);
  return topic;
}

function partitionOf(state: ClusterState, ref: PartitionRef): PartitionLog {
  const log = state.partition(ref.topic, ref.partition);
  if (!log) throw new InapplicableOpError(`no partition ${ref.topic}/${ref.partition}`);
  return log;
}

/** The topic goes with its groups' offsets; files lose its batches, and a file left with none is marked for deletion. */
function deleteTopic(state: ClusterState, topic: Topic, at: number): void {
  for (const log of topic.partitions) {
    const ix = log.index;
    for (let i = 0; i < ix.length; i++) state.files.release(ix.file(i), at);
  }
  state.topics.delete(topic.name);
  state.totalPartitions -= topic.partitions.length;
  dropTopicOffsets(state.groups, topic.name);
}

function commitFile(state: ClusterState, body: CommitBody, fingerprint: string, at: number): void {
  if (state.files.numberOf(body.fileId) !== undefined) throw new InapplicableOpError(`file ${body.fileId} is already committed`);
  const fileNumber = state.files.nextNumber();
  const results: number[] = new Array(body.batches.length);
  const fenced = state.producers.epochs;
  let live = 0;
  for (let i = 0; i < body.batches.length; i++) {
    const b = body.batches[i];
    const log = state.partition(b.topic, b.partition);
    if (!log) {
      results[i] = encodeError('UNKNOWN_TOPIC_OR_PARTITION');
      continue;
    }
    if (b.producerId >= 0) {
      // A transactional producer's older epochs are fenced as soon as a newer one is issued.
      const current = fenced.size > 0 ? fenced.get(b.producerId) : undefined;
      if (current !== undefined && b.producerEpoch < current) {
        results[i] = encodeError('INVALID_PRODUCER_EPOCH');
        continue;
      }
      const window = log.producers?.get(b.producerId);
      const check = checkSequence(window, b.producerEpoch, b.baseSequence, b.recordCount);
      if (check !== APPEND) {
        results[i] = check >= 0 ? encodeDuplicate(check) : encodeError(check === FENCED_EPOCH ? 'INVALID_PRODUCER_EPOCH' : 'OUT_OF_ORDER_SEQUENCE');
        continue;
      }
      const base = log.append(b.recordCount, fileNumber, b.byteOffset, b.byteLength, b.maxTimestamp);
      const updated = recordAppend(window, b.producerEpoch, b.baseSequence, b.recordCount, base, at);
      if (updated !== window) (log.producers ??= new Map()).set(b.producerId, updated);
      results[i] = encodeAppended(base);
    } else {
      results[i] = encodeAppended(log.append(b.recordCount, fileNumber, b.byteOffset, b.byteLength, b.maxTimestamp));
    }
    live++;
  }
  state.files.add({
    id: body.fileId,
    objectKey: body.objectKey,
    sizeBytes: body.sizeBytes,
    replicas: state.internReplicas(body.replicas),
    fingerprint,
    committedAt: at,
    results: packResults(results),
    live,
    // A file none of whose batches was accepted holds nothing anyone can read.
    state: live > 0 ? FILE_LIVE : FILE_DELETE_PENDING,
    markedAt: live > 0 ? 0 : at,
    markSeq: live > 0 ? 0 : state.files.nextMarkSeq++,
  });
}
