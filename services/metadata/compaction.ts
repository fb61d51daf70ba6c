import { hash } from 'node:crypto';
import { badRequest } from '../../shared/errors';
import type { ByteReader, ByteWriter } from './bytes';
import { FILE_ID_PATTERN, MAX_BATCH_BYTES, MAX_FILE_BYTES, MAX_OBJECT_KEY_BYTES, MAX_PARTITION_NUMBER, TEXT_PATTERN, regex } from './contract';
import { InapplicableOpError } from './inapplicable';
import { encodeCommitBody, type Op } from './ops';
import { packResults } from './packed-results';
import type { Plan } from './plan';
import { FILE_DELETE_PENDING, FILE_LIVE, type ClusterState } from './state';
import type { ClusterRef, Replica } from './types';
import { validateReplicas } from './validate-commit';

/**
 * Compaction's swap. An agent copied a run of a partition's batches, byte for byte, from small
 * files into one new file; the result names, per batch, where it was (file, byte offset) and
 * where it is now. The swap applies only if every named batch is still exactly where the
 * result says, in one unbroken run of the partition's index (no batch missing, none added,
 * offsets and lengths unchanged): then the batches point at the new file and the old files
 * lose them (a file left with none is marked, and deleted later like any other). Otherwise
 * the result is refused, changes no batch, and the new file is recorded as already marked
 * (a zero-batch commit), so that a deletion job removes its object.
 */
export const MAX_COMPACTION_BATCHES = 5000;

export interface CompactionBatch {
  baseOffset: number;
  lastOffset: number;
  /** Where the batch was: the input file and byte offset. */
  inputFileId: string;
  inputByteOffset: number;
  /** Where it is in the new file (same length). */
  byteOffset: number;
  byteLength: number;
}

export interface CompactionSegment {
  topic: string;
  partition: number;
  batches: CompactionBatch[];
}

export interface CompactionResultInput {
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  replicas: Replica[];
  segments: CompactionSegment[];
}

export interface CompactionAnswer {
  fileId: string;
  outcome: 'applied' | 'refused';
  /** Why a result was refused (stable codes). */
  reason?: string;
  /** Input files that lost their last batch (now marked for deletion). */
  filesReleased?: string[];
  duplicate?: boolean;
}

export type ReplaceFilesOp = {
  type: 'replaceFiles';
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  replicas: Replica[];
  fingerprint: string;
  at: number;
  segments: { topic: string; partition: number; baseOffset: number; batches: { byteOffset: number; byteLength: number }[] }[];
};

const FILE_ID = regex(FILE_ID_PATTERN);
const TEXT = regex(TEXT_PATTERN);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shape checks (4xx): a result that is malformed is an agent bug, not a refusal. */
export function validateCompactionResult(input: unknown, cluster: ClusterRef): CompactionResultInput {
  if (!isObject(input)) throw badRequest('invalid_result', 'The compaction result must be an object.');
  const { fileId, objectKey, sizeBytes, segments } = input;
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId)) throw badRequest('invalid_file_id', 'fileId names the new file.', { field: 'result.fileId' });
  if (typeof objectKey !== 'string' || !TEXT.test(objectKey) || Buffer.byteLength(objectKey) > MAX_OBJECT_KEY_BYTES) {
    throw badRequest('invalid_object_key', 'objectKey is the new file\'s object key.', { field: 'result.objectKey' });
  }
  if (!isInt(sizeBytes, 1, MAX_FILE_BYTES)) throw badRequest('invalid_size', 'sizeBytes is the new file\'s size.', { field: 'result.sizeBytes' });
  const replicas = validateReplicas(input.replicas, cluster);
  if (!Array.isArray(segments) || segments.length === 0) throw badRequest('invalid_result', 'segments lists at least one partition run.', { field: 'result.segments' });
  let total = 0;
  const out: CompactionSegment[] = segments.map((s: unknown, i) => {
    const field = `result.segments[${i}]`;
    if (!isObject(s) || typeof s.topic !== 'string' || !isInt(s.partition, 0, MAX_PARTITION_NUMBER) || !Array.isArray(s.batches) || s.batches.length === 0) {
      throw badRequest('invalid_result', 'Each segment names topic, partition and its batches.', { field });
    }
    total += s.batches.length;
    const batches = s.batches.map((b: unknown, k) => {
      if (
        !isObject(b) ||
        !isInt(b.baseOffset, 0, Number.MAX_SAFE_INTEGER) ||
        !isInt(b.lastOffset, 0, Number.MAX_SAFE_INTEGER) ||
        typeof b.inputFileId !== 'string' ||
        !isInt(b.inputByteOffset, 0, MAX_FILE_BYTES) ||
        !isInt(b.byteOffset, 0, MAX_FILE_BYTES) ||
        !isInt(b.byteLength, 1, MAX_BATCH_BYTES)
      ) {
        throw badRequest('invalid_result', 'Each batch gives baseOffset, lastOffset, inputFileId, inputByteOffset, byteOffset and byteLength.', { field: `${field}.batches[${k}]` });
      }
      if (b.byteOffset + b.byteLength > sizeBytes) throw badRequest('batch_outside_file', 'A batch extends past the end of the new file.', { field: `${field}.batches[${k}]` });
      return b as unknown as CompactionBatch;
    });
    return { topic: s.topic, partition: s.partition, batches };
  });
  if (total > MAX_COMPACTION_BATCHES) throw badRequest('too_many_batches', `A compaction result holds at most ${MAX_COMPACTION_BATCHES} batches.`);
  // The new file's ranges must not overlap one another.
  const ranges = out.flatMap((s) => s.batches.map((b) => [b.byteOffset, b.byteLength] as const)).sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < ranges.length; k++) {
    if (ranges[k][0] < ranges[k - 1][0] + ranges[k - 1][1]) throw badRequest('overlapping_batches', 'Two batches overlap in the new file.');
  }
  return { fileId, objectKey, sizeBytes, replicas, segments: out };
}

/** Why the result does not fit the current state, or undefined when it fits exactly. */
export function compactionMismatch(state: ClusterState, r: CompactionResultInput): string | undefined {
  const claimed = new Set<string>();
  for (const s of r.segments) {
    const key = `${s.topic}/${s.partition}`;
    if (claimed.has(key)) return 'overlapping_segments';
    claimed.add(key);
    const log = state.partition(s.topic, s.partition);
    if (!log) return 'unknown_partition';
    const ix = log.index;
    const first = ix.find(s.batches[0].baseOffset);
    if (first < 0) return 'offsets_not_found';
    for (let k = 0; k < s.batches.length; k++) {
      const b = s.batches[k];
      const i = first + k;
      if (i >= ix.length || ix.baseOffset(i) !== b.baseOffset) return k === 0 ? 'offsets_not_found' : 'offsets_mismatch';
      if (ix.lastOffset(i) !== b.lastOffset) return 'offsets_mismatch';
      if (state.files.idOf(ix.file(i)) !== b.inputFileId || ix.byteOffset(i) !== b.inputByteOffset) return 'inputs_changed';
      if (ix.byteLength(i) !== b.byteLength) return 'length_mismatch';
    }
  }
  return undefined;
}

export function planCompactionResult(state: ClusterState, r: CompactionResultInput, now: number): Plan<CompactionAnswer> {
  const known = state.files.byId(r.fileId);
  if (known) {
    // A retried report: the record of the first says what happened.
    return { ops: [], answer: () => ({ fileId: r.fileId, outcome: known.results.length === 0 && known.live === 0 ? 'refused' : 'applied', duplicate: true }) };
  }
  const reason = compactionMismatch(state, r);
  if (reason) {
    // The new object exists in the customer's bucket: record it as marked, so that it is deleted.
    const { fingerprint, encodedBody } = encodeCommitBody({ fileId: r.fileId, objectKey: r.objectKey, sizeBytes: r.sizeBytes, replicas: r.replicas, batches: [] });
    return { ops: [{ type: 'commitFile', body: { fileId: r.fileId, objectKey: r.objectKey, sizeBytes: r.sizeBytes, replicas: r.replicas, batches: [] }, fingerprint, at: now, encodedBody }], answer: () => ({ fileId: r.fileId, outcome: 'refused', reason }) };
  }
  const inputs = new Set(r.segments.flatMap((s) => s.batches.map((b) => b.inputFileId)));
  const op: ReplaceFilesOp = {
    type: 'replaceFiles',
    fileId: r.fileId,
    objectKey: r.objectKey,
    sizeBytes: r.sizeBytes,
    replicas: r.replicas,
    fingerprint: fingerprintOf(r),
    at: now,
    segments: r.segments.map((s) => ({ topic: s.topic, partition: s.partition, baseOffset: s.batches[0].baseOffset, batches: s.batches.map((b) => ({ byteOffset: b.byteOffset, byteLength: b.byteLength })) })),
  };
  return {
    ops: [op],
    answer: () => ({ fileId: r.fileId, outcome: 'applied', filesReleased: [...inputs].filter((id) => state.files.byId(id)?.state === FILE_DELETE_PENDING).sort() }),
  };
}

const fingerprintOf = (r: CompactionResultInput) => hash('sha256', JSON.stringify(r), 'buffer').subarray(0, 16).toString('base64url');

export function applyReplaceFiles(state: ClusterState, op: ReplaceFilesOp): void {
  if (state.files.numberOf(op.fileId) !== undefined) throw new InapplicableOpError(`file ${op.fileId} is already committed`);
  let total = 0;
  for (const s of op.segments) total += s.batches.length;
  const n = state.files.add({
    id: op.fileId,
    objectKey: op.objectKey,
    sizeBytes: op.sizeBytes,
    replicas: state.internReplicas(op.replicas),
    fingerprint: op.fingerprint,
    committedAt: op.at,
    results: packResults([total]),
    live: total,
    state: FILE_LIVE,
    markedAt: 0,
    markSeq: 0,
  });
  for (const s of op.segments) {
    const log = state.partition(s.topic, s.partition);
    if (!log) throw new InapplicableOpError(`no partition ${s.topic}/${s.partition}`);
    const ix = log.index;
    const first = ix.find(s.baseOffset);
    if (first < 0 || ix.baseOffset(first) !== s.baseOffset || first + s.batches.length > ix.length) throw new InapplicableOpError(`compaction run at ${s.topic}/${s.partition}@${s.baseOffset} is not in the index`);
    for (let k = 0; k < s.batches.length; k++) {
      const i = first + k;
      if (ix.byteLength(i) !== s.batches[k].byteLength) throw new InapplicableOpError(`compaction batch length differs at ${s.topic}/${s.partition}@${ix.baseOffset(i)}`);
      const old = ix.file(i);
      ix.relocate(i, n, s.batches[k].byteOffset);
      state.files.release(old, op.at);
    }
  }
}

export function writeReplaceFiles(w: ByteWriter, op: ReplaceFilesOp): void {
  w.str(op.fileId);
  w.str(op.objectKey);
  w.uint(op.sizeBytes);
  w.uint(op.replicas.length);
  for (const r of op.replicas) {
    w.str(r.region);
    w.str(r.bucket);
    w.str(r.checksum);
  }
  w.str(op.fingerprint);
  w.uint(op.at);
  w.uint(op.segments.length);
  for (const s of op.segments) {
    w.str(s.topic);
    w.uint(s.partition);
    w.uint(s.baseOffset);
    w.uint(s.batches.length);
    for (const b of s.batches) {
      w.uint(b.byteOffset);
      w.uint(b.byteLength);
    }
  }
}

export function readReplaceFiles(r: ByteReader): ReplaceFilesOp {
  const fileId = r.str();
  const objectKey = r.str();
  const sizeBytes = r.uint();
  const replicas: Replica[] = [];
  for (let n = r.uint(); n > 0; n--) replicas.push({ region: r.str(), bucket: r.str(), checksum: r.str() });
  const fingerprint = r.str();
  const at = r.uint();
  const segments: ReplaceFilesOp['segments'] = [];
  for (let n = r.uint(); n > 0; n--) {
    const topic = r.str();
    const partition = r.uint();
    const baseOffset = r.uint();
    const batches: { byteOffset: number; byteLength: number }[] = [];
    for (let k = r.uint(); k > 0; k--) batches.push({ byteOffset: r.uint(), byteLength: r.uint() });
    segments.push({ topic, partition, baseOffset, batches });
  }
  return { type: 'replaceFiles', fileId, objectKey, sizeBytes, replicas, fingerprint, at, segments };
}

export const isReplaceFilesOp = (op: Op): op is ReplaceFilesOp => op.type === 'replaceFiles';
