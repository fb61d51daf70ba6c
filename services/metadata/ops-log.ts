import type { ByteReader, ByteWriter } from './bytes';
import type { DurableMember, OffsetEntry } from './group-records';

/**
 * Journal operations of the log's upkeep and of consumer groups, and their binary form
 * (ops.ts frames them). Each records its effect exactly (which windows expire, which log
 * start offsets, which files go), so replay needs no clock and no configuration.
 */
export interface PartitionRef {
  topic: string;
  partition: number;
}

export type LogOp =
  | { type: 'allocateProducerIds'; upTo: number }
  | { type: 'initTransactional'; transactionalId: string; producerId: number; epoch: number; at: number }
  | { type: 'expireProducers'; windows: (PartitionRef & { producerId: number })[]; transactionalIds: string[] }
  /** Delete records and retention: each partition's new log start offset. */
  | { type: 'advanceLogStart'; at: number; partitions: (PartitionRef & { offset: number })[] }
  /** The objects of these marked files are deleted: their records go. */
  | { type: 'filesDeleted'; fileIds: string[] }
  | { type: 'commitOffsets'; group: string; at: number; offsets: OffsetEntry[] }
  | { type: 'groupJoined'; group: string; generation: number; protocolType: string; protocol: string; leader: string; members: DurableMember[]; at: number }
  | { type: 'groupAssigned'; group: string; generation: number; assignments: { memberId: string; assignment: Uint8Array }[] }
  | { type: 'deleteGroups'; groups: string[] };

export const T_ALLOCATE_PRODUCER_IDS = 7;
const T_INIT_TRANSACTIONAL = 8;
const T_EXPIRE_PRODUCERS = 9;
const T_ADVANCE_LOG_START = 10;
const T_FILES_DELETED = 11;
const T_COMMIT_OFFSETS = 12;
const T_GROUP_JOINED = 13;
const T_GROUP_ASSIGNED = 14;
const T_DELETE_GROUPS = 15;

/** Topic names once per operation, then referred to by position. */
function writeTopicTable(w: ByteWriter, refs: { topic: string }[]): Map<string, number> {
  const table = new Map<string, number>();
  for (const r of refs) if (!table.has(r.topic)) table.set(r.topic, table.size);
  w.uint(table.size);
  for (const t of table.keys()) w.str(t);
  return table;
}

function readTopicTable(r: ByteReader): string[] {
  const out: string[] = [];
  for (let n = r.uint(); n > 0; n--) out.push(r.str());
  return out;
}

function topicAt(table: string[], i: number): string {
  const t = table[i];
  if (t === undefined) throw new Error('operation names a topic outside its table');
  return t;
}

function writeStrings(w: ByteWriter, list: string[]): void {
  w.uint(list.length);
  for (const s of list) w.str(s);
}

function readStrings(r: ByteReader): string[] {
  const out: string[] = [];
  for (let n = r.uint(); n > 0; n--) out.push(r.str());
  return out;
}

function writeOptional(w: ByteWriter, s: string | null): void {
  if (s === null) w.u8(0);
  else {
    w.u8(1);
    w.str(s);
  }
}

function readOptional(r: ByteReader): string | null {
  const flag = r.u8();
  if (flag === 0) return null;
  if (flag !== 1) throw new Error(`bad optional-string flag ${flag}`);
  return r.str();
}

export function writeLogOp(w: ByteWriter, op: LogOp): void {
  switch (op.type) {
    case 'allocateProducerIds':
      w.u8(T_ALLOCATE_PRODUCER_IDS);
      w.uint(op.upTo);
      return;
    case 'initTransactional':
      w.u8(T_INIT_TRANSACTIONAL);
      w.str(op.transactionalId);
      w.uint(op.producerId);
      w.uint(op.epoch);
      w.uint(op.at);
      return;
    case 'expireProducers': {
      w.u8(T_EXPIRE_PRODUCERS);
      const table = writeTopicTable(w, op.windows);
      w.uint(op.windows.length);
      for (const x of op.windows) {
        w.uint(table.get(x.topic)!);
        w.uint(x.partition);
        w.uint(x.producerId);
      }
      writeStrings(w, op.transactionalIds);
      return;
    }
    case 'advanceLogStart': {
      w.u8(T_ADVANCE_LOG_START);
      w.uint(op.at);
      const table = writeTopicTable(w, op.partitions);
      w.uint(op.partitions.length);
      for (const x of op.partitions) {
        w.uint(table.get(x.topic)!);
        w.uint(x.partition);
        w.uint(x.offset);
      }
      return;
    }
    case 'filesDeleted':
      w.u8(T_FILES_DELETED);
      writeStrings(w, op.fileIds);
      return;
    case 'commitOffsets': {
      w.u8(T_COMMIT_OFFSETS);
      w.str(op.group);
      w.uint(op.at);
      const table = writeTopicTable(w, op.offsets);
      w.uint(op.offsets.length);
      for (const o of op.offsets) {
        w.uint(table.get(o.topic)!);
        w.uint(o.partition);
        w.uint(o.offset);
        w.int(o.leaderEpoch);
        w.str(o.metadata);
      }
      return;
    }
    case 'groupJoined':
      w.u8(T_GROUP_JOINED);
      w.str(op.group);
      w.uint(op.generation);
      w.str(op.protocolType);
      w.str(op.protocol);
      w.str(op.leader);
      w.uint(op.at);
      w.uint(op.members.length);
      for (const m of op.members) writeMember(w, m);
      return;
    case 'groupAssigned':
      w.u8(T_GROUP_ASSIGNED);
      w.str(op.group);
      w.uint(op.generation);
      w.uint(op.assignments.length);
      for (const a of op.assignments) {
        w.str(a.memberId);
        w.bytes(a.assignment);
      }
      return;
    case 'deleteGroups':
      w.u8(T_DELETE_GROUPS);
      writeStrings(w, op.groups);
      return;
  }
}

/** Members as the journal keeps them; assignments travel in groupAssigned. */
function writeMember(w: ByteWriter, m: DurableMember): void {
  w.str(m.memberId);
  writeOptional(w, m.groupInstanceId);
  w.str(m.clientId);
  w.str(m.clientHost);
  w.uint(m.sessionTimeoutMs);
  w.uint(m.rebalanceTimeoutMs);
}

function readMember(r: ByteReader): DurableMember {
  return {
    memberId: r.str(),
    groupInstanceId: readOptional(r),
    clientId: r.str(),
    clientHost: r.str(),
    sessionTimeoutMs: r.uint(),
    rebalanceTimeoutMs: r.uint(),
    assignment: null,
  };
}

export { readMember as readDurableMember, writeMember as writeDurableMember, readOptional, writeOptional };

/** Reads the operation whose type byte `type` was just read; undefined for an unknown type. */
export function readLogOp(r: ByteReader, type: number): LogOp | undefined {
  switch (type) {
    case T_ALLOCATE_PRODUCER_IDS:
      return { type: 'allocateProducerIds', upTo: r.uint() };
    case T_INIT_TRANSACTIONAL:
      return { type: 'initTransactional', transactionalId: r.str(), producerId: r.uint(), epoch: r.uint(), at: r.uint() };
    case T_EXPIRE_PRODUCERS: {
      const table = readTopicTable(r);
      const windows = [];
      for (let n = r.uint(); n > 0; n--) windows.push({ topic: topicAt(table, r.uint()), partition: r.uint(), producerId: r.uint() });
      return { type: 'expireProducers', windows, transactionalIds: readStrings(r) };
    }
    case T_ADVANCE_LOG_START: {
      const at = r.uint();
      const table = readTopicTable(r);
      const partitions = [];
      for (let n = r.uint(); n > 0; n--) partitions.push({ topic: topicAt(table, r.uint()), partition: r.uint(), offset: r.uint() });
      return { type: 'advanceLogStart', at, partitions };
    }
    case T_FILES_DELETED:
      return { type: 'filesDeleted', fileIds: readStrings(r) };
    case T_COMMIT_OFFSETS: {
      const group = r.str();
      const at = r.uint();
      const table = readTopicTable(r);
      const offsets: OffsetEntry[] = [];
      for (let n = r.uint(); n > 0; n--) offsets.push({ topic: topicAt(table, r.uint()), partition: r.uint(), offset: r.uint(), leaderEpoch: r.int(), metadata: r.str() });
      return { type: 'commitOffsets', group, at, offsets };
    }
    case T_GROUP_JOINED: {
      const group = r.str();
      const generation = r.uint();
      const protocolType = r.str();
      const protocol = r.str();
      const leader = r.str();
      const at = r.uint();
      const members: DurableMember[] = [];
      for (let n = r.uint(); n > 0; n--) members.push(readMember(r));
      return { type: 'groupJoined', group, generation, protocolType, protocol, leader, members, at };
    }
    case T_GROUP_ASSIGNED: {
      const group = r.str();
      const generation = r.uint();
      const assignments = [];
      for (let n = r.uint(); n > 0; n--) assignments.push({ memberId: r.str(), assignment: r.bytes() });
      return { type: 'groupAssigned', group, generation, assignments };
    }
    case T_DELETE_GROUPS:
      return { type: 'deleteGroups', groups: readStrings(r) };
    default:
      return undefined;
  }
}
