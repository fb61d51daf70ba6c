import { isoTime } from '../../shared/clock';
import { notFound } from '../../shared/errors';
import { unpackResults } from './packed-results';
import { ClusterState, decodeResult, type Topic } from './state';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type CommitFileResult,
  type FetchPlanInput,
  type FetchPlanPartition,
  type FetchPlanResult,
  type ListOffsetsInput,
  type ListOffsetsPartition,
  type ListOffsetsResult,
  type TopicDescription,
  type TopicSummary,
} from './types';

/** Answers computed from a ClusterState without changing it. */

export function topicSummary(t: Topic): TopicSummary {
  return { name: t.name, topicId: t.id, partitions: t.partitions.length, config: { ...t.config }, createdAt: isoTime(t.createdAt) };
}

export function describeTopic(state: ClusterState, name: string): TopicDescription {
  const t = state.topics.get(name);
  if (!t) throw notFound('unknown_topic', `Topic ${name} does not exist.`);
  return {
    ...topicSummary(t),
    partitionDetails: t.partitions.map((p, partition) => ({
      partition,
      logStartOffset: p.logStartOffset,
      highWatermark: p.highWatermark,
      bytes: p.bytes,
    })),
  };
}

export function listTopics(state: ClusterState): TopicSummary[] {
  return [...state.topics.keys()].sort().map((name) => topicSummary(state.topics.get(name)!));
}

/** The answer a committed file gave, rebuilt from its record (for retries of the same fileId). */
export function commitResultOf(state: ClusterState, fileId: string, batches: { topic: string; partition: number; recordCount: number }[], duplicate: boolean): CommitFileResult {
  const file = state.fileById(fileId)!;
  const packed = unpackResults(file.results);
  return {
    fileId,
    duplicate,
    results: batches.map((b, i) => {
      const r = decodeResult(packed[i]);
      if ('error' in r) return { topic: b.topic, partition: b.partition, error: r.error };
      return { topic: b.topic, partition: b.partition, baseOffset: r.baseOffset, lastOffset: r.baseOffset + b.recordCount - 1, duplicate: r.duplicate };
    }),
  };
}

/**
 * Kafka fetch semantics: from the batch holding `offset`, batches while they fit in both the
 * partition's and the request's remaining budget; the first partition (in request order)
 * that has data gets its first batch even when that batch alone exceeds the budgets, so a
 * consumer always makes progress. offset == highWatermark is valid and returns nothing.
 */
export function fetchPlan(state: ClusterState, input: FetchPlanInput): FetchPlanResult {
  let remaining = input.maxBytes;
  let firstWithData = true;
  // The files' dense columns, not their records (file-table.ts): one cache miss less a batch.
  const { fileIds, objectKeys, replicaLists } = state.files;
  const partitions: FetchPlanPartition[] = new Array(input.partitions.length);
  for (let k = 0; k < input.partitions.length; k++) {
    const req = input.partitions[k];
    const log = state.partition(req.topic, req.partition);
    if (!log) {
      partitions[k] = { topic: req.topic, partition: req.partition, highWatermark: -1, logStartOffset: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION', batches: [] };
      continue;
    }
    const out: FetchPlanPartition = {
      topic: req.topic,
      partition: req.partition,
      highWatermark: log.highWatermark,
      logStartOffset: log.logStartOffset,
      batches: [],
    };
    partitions[k] = out;
    if (req.offset < log.logStartOffset || req.offset > log.highWatermark) {
      out.error = 'OFFSET_OUT_OF_RANGE';
      continue;
    }
    if (req.offset === log.highWatermark) continue;
    const ix = log.index;
    const limit = Math.min(req.maxBytes, remaining);
    const first = ix.find(req.offset);
    if (first < 0) continue;
    // Sized first, then filled: one array of the right length, no growing.
    const { count, bytes } = ix.fitting(first, limit, firstWithData);
    out.batches = ix.planned(first, first + count, fileIds, objectKeys, replicaLists);
    if (count > 0) firstWithData = false;
    remaining = Math.max(0, remaining - bytes);
  }
  return { partitions };
}
/**
 * Kafka ListOffsets: -1 latest (the high watermark), -2 earliest (log start), -3 the batch
 * with the largest maxTimestamp (its base offset: the record is in that batch, and the agent
 * can narrow it down from the data), otherwise the base offset of the first batch whose
 * maxTimestamp is at or after the timestamp; offset and timestamp -1 when there is none.
 * Batches below the log start (delete records, retention) are no longer indexed.
 */
export function listOffsets(state: ClusterState, input: ListOffsetsInput): ListOffsetsResult {
  return {
    partitions: input.partitions.map((req): ListOffsetsPartition => {
      const { topic, partition, timestamp } = req;
      const log = state.partition(topic, partition);
      if (!log) return { topic, partition, offset: -1, timestamp: -1, error: 'UNKNOWN_TOPIC_OR_PARTITION' };
      const ix = log.index;
      if (timestamp === LATEST_TIMESTAMP) return { topic, partition, offset: log.highWatermark, timestamp: -1 };
      if (timestamp === EARLIEST_TIMESTAMP) return { topic, partition, offset: log.logStartOffset, timestamp: -1 };
      // A batch straddling the log start answers the log start: offsets below it are gone.
      const start = log.logStartOffset;
      if (timestamp === MAX_TIMESTAMP) {
        const at = log.maxTimestampAt;
        if (at < 0 || ix.maxTimestamp(at) < 0) return { topic, partition, offset: -1, timestamp: -1 };
        return { topic, partition, offset: Math.max(start, ix.baseOffset(at)), timestamp: ix.maxTimestamp(at) };
      }
      for (let i = 0; i < ix.length; i++) {
        if (ix.maxTimestamp(i) >= timestamp) return { topic, partition, offset: Math.max(start, ix.baseOffset(i)), timestamp: ix.maxTimestamp(i) };
      }
      return { topic, partition, offset: -1, timestamp: -1 };
    }),
  };
}
