import { badRequest, unprocessable } from '../../shared/errors';
import {
  FILE_ID_PATTERN,
  MAX_BATCHES_PER_COMMIT,
  MAX_BATCH_BYTES,
  MAX_BUCKET_BYTES,
  MAX_CHECKSUM_BYTES,
  MAX_FILE_BYTES,
  MAX_FILE_ID_LENGTH,
  MAX_OBJECT_KEY_BYTES,
  MAX_PARTITION_NUMBER,
  MAX_PRODUCER_EPOCH,
  MAX_PRODUCER_ID,
  MAX_RECORDS_PER_BATCH,
  MAX_REGION_LENGTH,
  MAX_REPLICAS,
  MAX_SEQUENCE,
  MAX_TIMESTAMP_MS,
  NO_PRODUCER,
  TEXT_PATTERN,
  regex,
} from './contract';
import { encodeCommitBody, type CommitBatch, type CommitBody } from './ops';
import { isValidTopicName } from './topic-rules';
import type { ClusterRef, Replica } from './types';

/**
 * Whole-request checks of a file commit that need only the request and the cluster: a
 * commit failing any of them is refused with a 4xx and changes nothing. The result is the
 * canonical body (replicas sorted by region) and its fingerprint. The limits are the
 * contract's (contract.ts), the same ones the HTTP schema states.
 */
const FILE_ID = regex(FILE_ID_PATTERN);
const TEXT = regex(TEXT_PATTERN);

const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isText = (v: unknown, maxBytes: number): v is string => typeof v === 'string' && TEXT.test(v) && Buffer.byteLength(v) <= maxBytes;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null || v === NO_PRODUCER;

export interface ValidCommit {
  body: CommitBody;
  encodedBody: Uint8Array;
  fingerprint: string;
}

export function validateCommit(input: unknown, cluster: ClusterRef): ValidCommit {
  if (!isObject(input)) throw badRequest('invalid_request', 'The commit must be a JSON object.');
  const { fileId, objectKey, sizeBytes } = input;
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId)) {
    throw badRequest('invalid_file_id', `fileId is 1 to ${MAX_FILE_ID_LENGTH} characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit.`, { field: 'fileId' });
  }
  if (!isText(objectKey, MAX_OBJECT_KEY_BYTES)) {
    throw badRequest('invalid_object_key', `objectKey is a non-empty object key of at most ${MAX_OBJECT_KEY_BYTES} bytes.`, { field: 'objectKey' });
  }
  if (!isInt(sizeBytes, 1, MAX_FILE_BYTES)) {
    throw badRequest('invalid_size', `sizeBytes must be a whole number from 1 to ${MAX_FILE_BYTES}.`, { field: 'sizeBytes' });
  }
  const replicas = validateReplicas(input.replicas, cluster);
  const batches = validateBatches(input.batches, sizeBytes);
  const body: CommitBody = { fileId, objectKey, sizeBytes, replicas, batches };
  return { body, ...encodeCommitBody(body) };
}

export function validateReplicas(input: unknown, cluster: ClusterRef): Replica[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_REPLICAS) {
    throw badRequest('invalid_replicas', `replicas must list 1 to ${MAX_REPLICAS} copies of the file.`, { field: 'replicas' });
  }
  const seen = new Set<string>();
  const out: Replica[] = input.map((r: unknown, i) => {
    const field = `replicas[${i}]`;
    if (!isObject(r) || !isText(r.region, MAX_REGION_LENGTH) || !isText(r.bucket, MAX_BUCKET_BYTES) || !isText(r.checksum, MAX_CHECKSUM_BYTES)) {
      throw badRequest('invalid_replicas', 'Each replica names its region, bucket and checksum.', { field });
    }
    if (seen.has(r.region)) throw badRequest('duplicate_replica_region', `Region ${r.region} is listed twice.`, { field });
    seen.add(r.region);
    if (!cluster.regions.includes(r.region)) {
      throw unprocessable('unknown_replica_region', `Region ${r.region} is not one of this cluster's regions.`, {
        field,
        regions: cluster.regions,
      });
    }
    const bucket = cluster.buckets.find((b) => b.region === r.region)?.url;
    if (r.bucket !== bucket) {
      throw unprocessable('unknown_replica_bucket', `The cluster's bucket in ${r.region} is ${bucket}; the replica names ${r.bucket}.`, { field, bucket });
    }
    return { region: r.region, bucket: r.bucket, checksum: r.checksum };
  });
  if (seen.size < cluster.writeQuorum) {
    throw unprocessable(
      'insufficient_replicas',
      `This cluster acknowledges a file only once it is stored in ${cluster.writeQuorum} regions; the commit lists ${seen.size}.`,
      { field: 'replicas', writeQuorum: cluster.writeQuorum },
    );
  }
  return out.sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
}

function validateBatches(input: unknown, sizeBytes: number): CommitBatch[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw badRequest('no_batches', 'batches must list at least one record batch.', { field: 'batches' });
  }
  if (input.length > MAX_BATCHES_PER_COMMIT) {
    throw badRequest('too_many_batches', `A commit holds at most ${MAX_BATCHES_PER_COMMIT} batches.`, {
      field: 'batches',
      max: MAX_BATCHES_PER_COMMIT,
    });
  }
  const batches: CommitBatch[] = new Array(input.length);
  for (let i = 0; i < input.length; i++) batches[i] = validateBatch(input[i], i, sizeBytes);
  checkRanges(batches);
  return batches;
}

function validateBatch(b: unknown, i: number, sizeBytes: number): CommitBatch {
  // Field paths are built only when something is wrong: this runs for every batch of every commit.
  if (!isObject(b)) throw badRequest('invalid_batch', 'Each batch must be an object.', { field: `batches[${i}]` });
  const { topic, partition, byteOffset, byteLength, recordCount, maxTimestamp } = b;
  if (!isValidTopicName(topic)) throw badRequest('invalid_topic_name', 'The batch names an invalid topic.', { field: `batches[${i}].topic` });
  if (!isInt(partition, 0, MAX_PARTITION_NUMBER)) {
    throw badRequest('invalid_partition', `partition must be a whole number from 0 to ${MAX_PARTITION_NUMBER}.`, { field: `batches[${i}].partition` });
  }
  if (!isInt(byteOffset, 0, MAX_FILE_BYTES - 1)) {
    throw badRequest('invalid_byte_range', 'byteOffset must be a whole number of at least 0.', { field: `batches[${i}].byteOffset` });
  }
  if (!isInt(byteLength, 1, MAX_BATCH_BYTES)) {
    throw badRequest('invalid_byte_range', `byteLength must be a whole number from 1 to ${MAX_BATCH_BYTES}.`, { field: `batches[${i}].byteLength` });
  }
  if (byteOffset + byteLength > sizeBytes) {
    throw badRequest('batch_outside_file', 'The batch extends past the end of the file (sizeBytes).', { field: `batches[${i}]` });
  }
  if (!isInt(recordCount, 1, MAX_RECORDS_PER_BATCH)) {
    throw badRequest('invalid_record_count', `recordCount must be a whole number from 1 to ${MAX_RECORDS_PER_BATCH}.`, { field: `batches[${i}].recordCount` });
  }
  if (!isInt(maxTimestamp, -1, MAX_TIMESTAMP_MS)) {
    throw badRequest('invalid_timestamp', 'maxTimestamp must be epoch milliseconds, or -1 when the batch has none.', {
      field: `batches[${i}].maxTimestamp`,
    });
  }
  const { producerId, producerEpoch, baseSequence } = b;
  if (absent(producerId) && absent(producerEpoch) && absent(baseSequence)) {
    return { topic, partition, byteOffset, byteLength, recordCount, maxTimestamp, producerId: NO_PRODUCER, producerEpoch: NO_PRODUCER, baseSequence: NO_PRODUCER };
  }
  // All three producer fields, or none (Kafka's -1 "no producer id" counts as none).
  if (!isInt(producerId, 0, MAX_PRODUCER_ID) || !isInt(producerEpoch, 0, MAX_PRODUCER_EPOCH) || !isInt(baseSequence, 0, MAX_SEQUENCE)) {
    throw badRequest(
      'invalid_producer_fields',
      `An idempotent batch gives producerId (>= 0), producerEpoch (0..${MAX_PRODUCER_EPOCH}) and baseSequence (0..${MAX_SEQUENCE}) together.`,
      { field: `batches[${i}]` },
    );
  }
  return { topic, partition, byteOffset, byteLength, recordCount, maxTimestamp, producerId, producerEpoch, baseSequence };
}

/** Byte ranges of one file's batches must be distinct and must not overlap. */
function checkRanges(batches: CommitBatch[]): void {
  const order = batches.map((_, i) => i);
  // Agents usually list batches in file order; sort only when they did not.
  let sorted = true;
  for (let k = 1; k < batches.length && sorted; k++) sorted = batches[k].byteOffset >= batches[k - 1].byteOffset;
  if (!sorted) order.sort((a, b) => batches[a].byteOffset - batches[b].byteOffset || a - b);
  for (let k = 1; k < order.length; k++) {
    const prev = batches[order[k - 1]];
    const next = batches[order[k]];
    if (next.byteOffset === prev.byteOffset && next.byteLength === prev.byteLength) {
      throw badRequest('duplicate_batch', 'Two batches name the same byte range.', { field: `batches[${order[k]}]` });
    }
    if (next.byteOffset < prev.byteOffset + prev.byteLength) {
      throw badRequest('overlapping_batches', 'Two batches overlap in the file.', { field: `batches[${order[k]}]` });
    }
  }
}
