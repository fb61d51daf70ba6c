import { badRequest } from '../../shared/errors';
import type { PartitionRef } from './ops-log';
import type { Plan } from './plan';
import type { ClusterState, PartitionLog } from './state';
import { MAX_PARTITION_NUMBER, MAX_PARTITIONS_PER_READ } from './contract';
import { isValidTopicName } from './topic-rules';
import type { DeleteRecordsInput, DeleteRecordsResult } from './types';


/**
 * Moving log start offsets forward: Kafka's DeleteRecords, and retention by time and size.
 * Both become one `advanceLogStart` operation; batches wholly below the new log start leave
 * the index, and files left without batches are marked for deletion.
 */
const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateDeleteRecords(input: unknown): DeleteRecordsInput {
  if (!isObject(input) || !Array.isArray(input.partitions) || input.partitions.length === 0) {
    throw badRequest('invalid_request', 'The request must be an object with a non-empty partitions array.', { field: 'partitions' });
  }
  if (input.partitions.length > MAX_PARTITIONS_PER_READ) {
    throw badRequest('too_many_partitions', `A request names at most ${MAX_PARTITIONS_PER_READ} partitions.`, { field: 'partitions', max: MAX_PARTITIONS_PER_READ });
  }
  const seen = new Set<string>();
  const partitions = input.partitions.map((p: unknown, i) => {
    const field = `partitions[${i}]`;
    if (!isObject(p)) throw badRequest('invalid_request', 'Each partition entry must be an object.', { field });
    if (!isValidTopicName(p.topic)) throw badRequest('invalid_topic_name', 'The entry names an invalid topic.', { field: `${field}.topic` });
    if (!isInt(p.partition, 0, MAX_PARTITION_NUMBER)) {
      throw badRequest('invalid_partition', `partition must be a whole number from 0 to ${MAX_PARTITION_NUMBER}.`, { field: `${field}.partition` });
    }
    if (!isInt(p.offset, -1, Number.MAX_SAFE_INTEGER)) {
      throw badRequest('invalid_offset', 'offset is the new log start offset, or -1 for the high watermark.', { field: `${field}.offset` });
    }
    const key = `${p.partition}:${p.topic}`;
    if (seen.has(key)) throw badRequest('duplicate_partition', 'A partition is listed twice.', { field });
    seen.add(key);
    return { topic: p.topic, partition: p.partition, offset: p.offset };
  });
  return { partitions };
}

/**
 * Kafka DeleteRecords: each partition's log start moves to `offset` (-1: the high
 * watermark); an offset past the high watermark is OFFSET_OUT_OF_RANGE; one at or below the
 * current log start changes nothing. The answer is the low watermark (log start) after it.
 */
export function planDeleteRecords(state: ClusterState, input: DeleteRecordsInput, now: number): Plan<DeleteRecordsResult> {
  const moves: (PartitionRef & { offset: number })[] = [];
  const errors = new Map<number, 'UNKNOWN_TOPIC_OR_PARTITION' | 'OFFSET_OUT_OF_RANGE'>();
  input.partitions.forEach((p, i) => {
    const log = state.partition(p.topic, p.partition);
    if (!log) return void errors.set(i, 'UNKNOWN_TOPIC_OR_PARTITION');
    const offset = p.offset === -1 ? log.highWatermark : p.offset;
    if (offset > log.highWatermark) return void errors.set(i, 'OFFSET_OUT_OF_RANGE');
    if (offset > log.logStartOffset) moves.push({ topic: p.topic, partition: p.partition, offset });
  });
  return {
    ops: moves.length > 0 ? [{ type: 'advanceLogStart', at: now, partitions: moves }] : [],
    answer: () => ({
      partitions: input.partitions.map((p, i) => {
        const error = errors.get(i);
        if (error) return { topic: p.topic, partition: p.partition, lowWatermark: -1, error };
        return { topic: p.topic, partition: p.partition, lowWatermark: state.partition(p.topic, p.partition)!.logStartOffset };
      }),
    }),
  };
}

/**
 * The log start retention allows for one partition now, looking at no more than `maxBatches`
 * batches; null when nothing expires. Like Kafka's segment retention, only a prefix goes: by
 * time, batches while their time is more than retention.ms ago (a batch's time is its max
 * timestamp, or its file's commit time when it has none); by size, batches while what stays
 * is still at least retention.bytes. -1 turns either rule off.
 */
export function retentionStart(state: ClusterState, log: PartitionLog, retentionMs: number, retentionBytes: number, now: number, maxBatches: number): { offset: number; batches: number } | null {
  if (retentionMs < 0 && retentionBytes < 0) return null;
  const ix = log.index;
  const cutoff = now - retentionMs;
  let bytes = log.bytes;
  let k = 0;
  while (k < ix.length && k < maxBatches) {
    const len = ix.byteLength(k);
    const bySize = retentionBytes >= 0 && bytes - len >= retentionBytes;
    let byTime = false;
    if (!bySize && retentionMs >= 0) {
      const ts = ix.maxTimestamp(k);
      byTime = (ts >= 0 ? ts : state.files.committedAtOf(ix.file(k))) < cutoff;
    }
    if (!bySize && !byTime) break;
    bytes -= len;
    k++;
  }
  if (k === 0) return null;
  const offset = k < ix.length ? ix.baseOffset(k) : log.highWatermark;
  return offset > log.logStartOffset ? { offset, batches: k } : null;
}
