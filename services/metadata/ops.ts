import { hash } from 'node:crypto';
import { ByteReader, ByteWriter } from './bytes';
import { readReplicaMissing, readReplicaRestored, writeReplicaMissing, writeReplicaRestored, type ReplicaMissingOp, type ReplicaRestoredOp } from './replication';
import { readReplaceFiles, writeReplaceFiles, type ReplaceFilesOp } from './compaction';
import { readLogOp, writeLogOp, type LogOp } from './ops-log';
import type { Replica, TopicConfig } from './types';

/**
 * Journal operations and their binary form. An entry is a format byte followed by operations;
 * each operation records everything its effect depends on (ids, times, resolved config), so
 * replaying it needs nothing but the state it is applied to.
 */

/** 2: producer ids, log start offsets, file deletion, consumer groups (ops-log.ts). */
export const ENTRY_FORMAT = 2;

/** A batch as the journal keeps it; producerId -1 means "not an idempotent producer". */
export interface CommitBatch {
  topic: string;
  partition: number;
  byteOffset: number;
  byteLength: number;
  recordCount: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** A validated, normalised commit (replicas sorted by region). */
export interface CommitBody {
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  replicas: Replica[];
  batches: CommitBatch[];
}

export type Op =
  | { type: 'fence'; epoch: number; holder: string; at: number }
  | { type: 'createTopic'; name: string; topicId: string; partitions: number; config: TopicConfig; at: number }
  | { type: 'deleteTopic'; name: string; at: number }
  | { type: 'addPartitions'; name: string; partitions: number }
  | { type: 'alterConfig'; name: string; config: TopicConfig }
  /** `encodedBody`, when present, is writeCommitBody's output for `body`, kept to avoid encoding it twice. */
  | { type: 'commitFile'; body: CommitBody; fingerprint: string; at: number; encodedBody?: Uint8Array }
  | ReplicaMissingOp
  | ReplicaRestoredOp
  | ReplaceFilesOp
  | LogOp;

const T_FENCE = 1;
const T_CREATE_TOPIC = 2;
const T_DELETE_TOPIC = 3;
const T_ADD_PARTITIONS = 4;
const T_ALTER_CONFIG = 5;
const T_COMMIT_FILE = 6;
/** Numbered apart from the log's operations (ops-log.ts, 7 to 15), so that the two sets grow independently. */
const T_REPLICA_MISSING = 16;
/** Agent jobs' results (services/jobs): a compaction swap, a restored replica. */
const T_REPLACE_FILES = 17;
const T_REPLICA_RESTORED = 18;

export function writeConfig(w: ByteWriter, c: TopicConfig): void {
  w.int(c['retention.ms']);
  w.int(c['retention.bytes']);
  w.u8(0); // cleanup.policy: only "delete" exists so far
}

export function readConfig(r: ByteReader): TopicConfig {
  const config: TopicConfig = { 'retention.ms': r.int(), 'retention.bytes': r.int(), 'cleanup.policy': 'delete' };
  const policy = r.u8();
  if (policy !== 0) throw new Error(`unknown cleanup policy code ${policy}`);
  return config;
}

/** The canonical bytes of a commit body; its hash is the file's fingerprint. */
export function writeCommitBody(w: ByteWriter, b: CommitBody): void {
  w.str(b.fileId);
  w.str(b.objectKey);
  w.uint(b.sizeBytes);
  w.uint(b.replicas.length);
  for (const r of b.replicas) {
    w.str(r.region);
    w.str(r.bucket);
    w.str(r.checksum);
  }
  // Topic names once per commit, then referred to by position.
  const topics = new Map<string, number>();
  for (const x of b.batches) if (!topics.has(x.topic)) topics.set(x.topic, topics.size);
  w.uint(topics.size);
  for (const t of topics.keys()) w.str(t);
  w.uint(b.batches.length);
  for (const x of b.batches) {
    w.uint(topics.get(x.topic)!);
    w.uint(x.partition);
    w.uint(x.byteOffset);
    w.uint(x.byteLength);
    w.uint(x.recordCount);
    w.int(x.maxTimestamp);
    w.int(x.producerId);
    if (x.producerId >= 0) {
      w.uint(x.producerEpoch);
      w.uint(x.baseSequence);
    }
  }
}

function readCommitBody(r: ByteReader): CommitBody {
  const fileId = r.str();
  const objectKey = r.str();
  const sizeBytes = r.uint();
  const replicas: Replica[] = [];
  for (let n = r.uint(); n > 0; n--) replicas.push({ region: r.str(), bucket: r.str(), checksum: r.str() });
  const topics: string[] = [];
  for (let n = r.uint(); n > 0; n--) topics.push(r.str());
  const batches: CommitBatch[] = [];
  for (let n = r.uint(); n > 0; n--) {
    const topic = topics[r.uint()];
    if (topic === undefined) throw new Error('commit batch names a topic outside its table');
    const partition = r.uint();
    const byteOffset = r.uint();
    const byteLength = r.uint();
    const recordCount = r.uint();
    const maxTimestamp = r.int();
    const producerId = r.int();
    const producerEpoch = producerId >= 0 ? r.uint() : -1;
    const baseSequence = producerId >= 0 ? r.uint() : -1;
    batches.push({ topic, partition, byteOffset, byteLength, recordCount, maxTimestamp, producerId, producerEpoch, baseSequence });
  }
  return { fileId, objectKey, sizeBytes, replicas, batches };
}

/** The canonical body bytes and the fingerprint over them (16 bytes of SHA-256, base64url). */
export function encodeCommitBody(body: CommitBody): { encodedBody: Uint8Array; fingerprint: string } {
  const w = new ByteWriter(512);
  writeCommitBody(w, body);
  const encodedBody = w.finish();
  return { encodedBody, fingerprint: hash('sha256', encodedBody, 'buffer').subarray(0, 16).toString('base64url') };
}

export function writeOp(w: ByteWriter, op: Op): void {
  switch (op.type) {
    case 'fence':
      w.u8(T_FENCE);
      w.uint(op.epoch);
      w.str(op.holder);
      w.uint(op.at);
      return;
    case 'createTopic':
      w.u8(T_CREATE_TOPIC);
      w.str(op.name);
      w.str(op.topicId);
      w.uint(op.partitions);
      writeConfig(w, op.config);
      w.uint(op.at);
      return;
    case 'deleteTopic':
      w.u8(T_DELETE_TOPIC);
      w.str(op.name);
      w.uint(op.at);
      return;
    case 'addPartitions':
      w.u8(T_ADD_PARTITIONS);
      w.str(op.name);
      w.uint(op.partitions);
      return;
    case 'alterConfig':
      w.u8(T_ALTER_CONFIG);
      w.str(op.name);
      writeConfig(w, op.config);
      return;
    case 'commitFile':
      w.u8(T_COMMIT_FILE);
      w.uint(op.at);
      w.str(op.fingerprint);
      if (op.encodedBody) w.raw(op.encodedBody);
      else writeCommitBody(w, op.body);
      return;
    case 'replicaMissing':
      w.u8(T_REPLICA_MISSING);
      writeReplicaMissing(w, op);
      return;
    case 'replaceFiles':
      w.u8(T_REPLACE_FILES);
      writeReplaceFiles(w, op);
      return;
    case 'replicaRestored':
      w.u8(T_REPLICA_RESTORED);
      writeReplicaRestored(w, op);
      return;
    default:
      return writeLogOp(w, op);
  }
}

export function readOp(r: ByteReader): Op {
  const type = r.u8();
  switch (type) {
    case T_FENCE:
      return { type: 'fence', epoch: r.uint(), holder: r.str(), at: r.uint() };
    case T_CREATE_TOPIC:
      return { type: 'createTopic', name: r.str(), topicId: r.str(), partitions: r.uint(), config: readConfig(r), at: r.uint() };
    case T_DELETE_TOPIC:
      return { type: 'deleteTopic', name: r.str(), at: r.uint() };
    case T_ADD_PARTITIONS:
      return { type: 'addPartitions', name: r.str(), partitions: r.uint() };
    case T_ALTER_CONFIG:
      return { type: 'alterConfig', name: r.str(), config: readConfig(r) };
    case T_COMMIT_FILE: {
      const at = r.uint();
      const fingerprint = r.str();
      return { type: 'commitFile', body: readCommitBody(r), fingerprint, at };
    }
    case T_REPLICA_MISSING:
      return readReplicaMissing(r);
    case T_REPLACE_FILES:
      return readReplaceFiles(r);
    case T_REPLICA_RESTORED:
      return readReplicaRestored(r);
    default: {
      const op = readLogOp(r, type);
      if (!op) throw new Error(`unknown journal operation type ${type}`);
      return op;
    }
  }
}

/** The operations of one request, encoded (no entry header). */
export function encodeOps(ops: Op[]): Uint8Array {
  const w = new ByteWriter(256);
  for (const op of ops) writeOp(w, op);
  return w.finish();
}

/** A journal entry from the encoded operations of one or more requests. */
export function buildEntry(parts: Uint8Array[]): Uint8Array {
  let size = 1;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  out[0] = ENTRY_FORMAT;
  let pos = 1;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function decodeEntry(bytes: Uint8Array): Op[] {
  if (bytes[0] !== ENTRY_FORMAT) throw new Error(`unknown journal entry format ${bytes[0]}`);
  const r = new ByteReader(bytes.subarray(1));
  const ops: Op[] = [];
  while (!r.done) ops.push(readOp(r));
  return ops;
}
