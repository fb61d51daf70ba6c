import { badRequest } from '../../shared/errors';
import {
  MAX_FETCH_BYTES,
  MAX_LIST_OFFSETS_TIMESTAMP,
  MAX_OFFSET,
  MAX_PARTITION_NUMBER,
  MAX_PARTITIONS_PER_READ,
  MIN_FETCH_BYTES,
  MIN_LIST_OFFSETS_TIMESTAMP,
} from './contract';
import { isValidTopicName } from './topic-rules';
import type { FetchPlanInput, ListOffsetsInput } from './types';

/**
 * Shape checks of fetch-plan and list-offsets requests, with the contract's limits
 * (contract.ts, the same the HTTP schema states). Problems with the request itself
 * (negative offsets, non-integers, a partition listed twice in a fetch plan, whose byte
 * budget that would confuse) are 400s; a topic or partition that does not exist is
 * answered per partition instead, as Kafka does.
 */
const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Up to this many entries, a partition listed twice is found by comparing pairs: cheaper than a set of built keys. */
const PAIRWISE_UP_TO = 32;

function partitionList(input: unknown, uniquePartitions: boolean): Record<string, unknown>[] {
  if (!isObject(input) || !Array.isArray(input.partitions)) {
    throw badRequest('invalid_request', 'The request must be an object with a partitions array.', { field: 'partitions' });
  }
  const list: unknown[] = input.partitions;
  if (list.length > MAX_PARTITIONS_PER_READ) {
    throw badRequest('too_many_partitions', `A request names at most ${MAX_PARTITIONS_PER_READ} partitions.`, {
      field: 'partitions',
      max: MAX_PARTITIONS_PER_READ,
    });
  }
  const seen = uniquePartitions && list.length > PAIRWISE_UP_TO ? new Set<string>() : undefined;
  const out: Record<string, unknown>[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    // Field names are built only for an error: this runs for every partition of every read.
    if (!isObject(p)) throw badRequest('invalid_request', 'Each partition entry must be an object.', { field: `partitions[${i}]` });
    if (!isValidTopicName(p.topic)) throw badRequest('invalid_topic_name', 'The entry names an invalid topic.', { field: `partitions[${i}].topic` });
    if (!isInt(p.partition, 0, MAX_PARTITION_NUMBER)) {
      throw badRequest('invalid_partition', `partition must be a whole number from 0 to ${MAX_PARTITION_NUMBER}.`, { field: `partitions[${i}].partition` });
    }
    if (uniquePartitions && (seen ? !addNew(seen, `${p.partition}:${p.topic}`) : listedBefore(out, i, p))) {
      throw badRequest('duplicate_partition', 'A partition is listed twice.', { field: `partitions[${i}]` });
    }
    out[i] = p;
  }
  return out;
}

const addNew = (seen: Set<string>, key: string) => seen.size < seen.add(key).size;

function listedBefore(checked: Record<string, unknown>[], n: number, p: Record<string, unknown>): boolean {
  for (let j = 0; j < n; j++) if (checked[j].partition === p.partition && checked[j].topic === p.topic) return true;
  return false;
}

export function validateFetchPlan(input: unknown): FetchPlanInput {
  const partitions = partitionList(input, true).map((p, i) => {
    if (!isInt(p.offset, 0, MAX_OFFSET)) {
      throw badRequest('invalid_offset', 'offset must be a whole number of at least 0.', { field: `partitions[${i}].offset` });
    }
    if (!isInt(p.maxBytes, MIN_FETCH_BYTES, MAX_FETCH_BYTES)) {
      throw badRequest('invalid_max_bytes', `maxBytes must be a whole number from ${MIN_FETCH_BYTES} to ${MAX_FETCH_BYTES}.`, { field: `partitions[${i}].maxBytes` });
    }
    return { topic: p.topic as string, partition: p.partition as number, offset: p.offset, maxBytes: p.maxBytes };
  });
  const maxBytes = (input as Record<string, unknown>).maxBytes;
  if (!isInt(maxBytes, MIN_FETCH_BYTES, MAX_FETCH_BYTES)) {
    throw badRequest('invalid_max_bytes', `maxBytes must be a whole number from ${MIN_FETCH_BYTES} to ${MAX_FETCH_BYTES}.`, { field: 'maxBytes' });
  }
  return { partitions, maxBytes };
}

export function validateListOffsets(input: unknown): ListOffsetsInput {
  const partitions = partitionList(input, false).map((p, i) => {
    if (!isInt(p.timestamp, MIN_LIST_OFFSETS_TIMESTAMP, MAX_LIST_OFFSETS_TIMESTAMP)) {
      throw badRequest('invalid_timestamp', 'timestamp is epoch milliseconds, or -1 (latest), -2 (earliest) or -3 (max timestamp).', {
        field: `partitions[${i}].timestamp`,
      });
    }
    return { topic: p.topic as string, partition: p.partition as number, timestamp: p.timestamp };
  });
  return { partitions };
}
