import { badRequest, conflict, notFound } from '../../shared/errors';
import type { GroupRecord, OffsetEntry } from './group-records';
import type { Op } from './ops';
import type { Plan } from './plan';
import type { ClusterState } from './state';
import { MAX_PARTITION_NUMBER } from './contract';
import { isValidTopicName } from './topic-rules';
import type { CommitOffsetsInput, CommitOffsetsResult, FetchOffsetsResult, GroupError } from './types';

/**
 * Consumer-group offsets: Kafka's OffsetCommit, OffsetFetch and DeleteGroups. A commit names
 * the member and generation it is made under, or neither (a "standalone" commit, allowed
 * while the group has no members, as Kafka allows it). Which members and generation a group
 * has right now is the coordinator's to say (GroupMembership); offsets are journaled.
 */
export const MAX_GROUP_ID_BYTES = 255;
/** Kafka's offset.metadata.max.bytes. */
export const MAX_OFFSET_METADATA_BYTES = 4096;
export const MAX_OFFSETS_PER_COMMIT = 10_000;
const MAX_MEMBER_ID_BYTES = 512;
const CONTROL = /[\u0000-\u001f\u007f]/;

const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, maxBytes: number): v is string => typeof v === 'string' && v.length > 0 && Buffer.byteLength(v) <= maxBytes && !CONTROL.test(v);

/** What offset commits and group deletion are checked against. */
export interface GroupMembership {
  /** Kafka's group-level check of an offset commit: null when it may proceed. */
  checkCommit(group: string, generation: number, memberId: string, groupInstanceId: string | null): GroupError | null;
  /** Whether the group has members right now (it then can neither be deleted nor expire). */
  hasMembers(group: string): boolean;
  /** Whether the group exists at all (in memory or in the journal). */
  exists(group: string): boolean;
  /** The group was deleted. */
  forget(group: string): void;
}

/** Membership as the journal last recorded it: what a node without a coordinator knows. */
export function recordedMembership(state: ClusterState): GroupMembership {
  return {
    checkCommit: (group, generation, memberId, instanceId) => commitCheck(state.groups.get(group), generation, memberId, instanceId),
    hasMembers: (group) => (state.groups.get(group)?.members.length ?? 0) > 0,
    exists: (group) => state.groups.has(group),
    forget: () => undefined,
  };
}

/** Kafka's checks, on the group as journaled (a join journaled without its assignment is mid-rebalance). */
function commitCheck(g: GroupRecord | undefined, generation: number, memberId: string, instanceId: string | null): GroupError | null {
  if (!g) return generation < 0 ? null : 'ILLEGAL_GENERATION';
  const members = g.members;
  if (generation < 0 && members.length === 0) return null;
  if (members.some((m) => m.assignment === null)) return 'REBALANCE_IN_PROGRESS';
  const member = members.find((m) => m.memberId === memberId);
  if (!member) {
    if (instanceId !== null && members.some((m) => m.groupInstanceId === instanceId)) return 'FENCED_INSTANCE_ID';
    return 'UNKNOWN_MEMBER_ID';
  }
  if (instanceId !== null && member.groupInstanceId !== instanceId) return 'FENCED_INSTANCE_ID';
  return generation === g.generation ? null : 'ILLEGAL_GENERATION';
}

export function validateGroupId(group: unknown): string {
  if (!isText(group, MAX_GROUP_ID_BYTES)) {
    throw badRequest('invalid_group_id', `A group id is 1 to ${MAX_GROUP_ID_BYTES} bytes without control characters.`, { field: 'group' });
  }
  return group;
}

export interface ValidOffsetCommit {
  generation: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: (OffsetEntry & { tooLarge: boolean })[];
}

export function validateCommitOffsets(input: unknown): ValidOffsetCommit {
  if (!isObject(input) || !Array.isArray(input.offsets) || input.offsets.length === 0) {
    throw badRequest('invalid_request', 'The request must be an object with a non-empty offsets array.', { field: 'offsets' });
  }
  const { generationId, memberId, groupInstanceId } = input as CommitOffsetsInput & Record<string, unknown>;
  if (generationId !== undefined && !isInt(generationId, -1, 2 ** 31 - 1)) throw badRequest('invalid_generation', 'generationId is -1 or a generation number.', { field: 'generationId' });
  if (memberId !== undefined && memberId !== '' && !isText(memberId, MAX_MEMBER_ID_BYTES)) throw badRequest('invalid_member_id', 'memberId is the id the coordinator gave the member.', { field: 'memberId' });
  if (groupInstanceId !== undefined && groupInstanceId !== null && !isText(groupInstanceId, MAX_GROUP_ID_BYTES)) {
    throw badRequest('invalid_group_instance_id', 'groupInstanceId is a non-empty string or null.', { field: 'groupInstanceId' });
  }
  if (input.offsets.length > MAX_OFFSETS_PER_COMMIT) {
    throw badRequest('too_many_partitions', `A commit names at most ${MAX_OFFSETS_PER_COMMIT} partitions.`, { field: 'offsets', max: MAX_OFFSETS_PER_COMMIT });
  }
  const seen = new Set<string>();
  const offsets = input.offsets.map((o: unknown, i) => {
    const field = `offsets[${i}]`;
    if (!isObject(o)) throw badRequest('invalid_request', 'Each offset entry must be an object.', { field });
    if (!isValidTopicName(o.topic)) throw badRequest('invalid_topic_name', 'The entry names an invalid topic.', { field: `${field}.topic` });
    if (!isInt(o.partition, 0, MAX_PARTITION_NUMBER)) throw badRequest('invalid_partition', `partition must be a whole number from 0 to ${MAX_PARTITION_NUMBER}.`, { field: `${field}.partition` });
    if (!isInt(o.offset, 0, Number.MAX_SAFE_INTEGER)) throw badRequest('invalid_offset', 'offset must be a whole number of at least 0.', { field: `${field}.offset` });
    if (o.leaderEpoch !== undefined && !isInt(o.leaderEpoch, -1, 2 ** 31 - 1)) throw badRequest('invalid_leader_epoch', 'leaderEpoch is -1 or an epoch number.', { field: `${field}.leaderEpoch` });
    if (o.metadata !== undefined && o.metadata !== null && typeof o.metadata !== 'string') throw badRequest('invalid_metadata', 'metadata is a string.', { field: `${field}.metadata` });
    const key = `${o.partition}:${o.topic}`;
    if (seen.has(key)) throw badRequest('duplicate_partition', 'A partition is listed twice.', { field });
    seen.add(key);
    const metadata = (o.metadata as string | null | undefined) ?? '';
    return { topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: (o.leaderEpoch as number | undefined) ?? -1, metadata, tooLarge: Buffer.byteLength(metadata) > MAX_OFFSET_METADATA_BYTES };
  });
  return { generation: generationId ?? -1, memberId: memberId ?? '', groupInstanceId: groupInstanceId ?? null, offsets };
}

/**
 * OffsetCommit: a group-level refusal (stale generation, unknown member, rebalance in
 * progress) answers every partition with that error and writes nothing; otherwise each
 * partition of an existing topic is committed, the others answered per partition.
 */
export function planCommitOffsets(state: ClusterState, membership: GroupMembership, group: string, input: ValidOffsetCommit, now: number): Plan<CommitOffsetsResult> {
  const refusal = membership.checkCommit(group, input.generation, input.memberId, input.groupInstanceId);
  const errorOf = (o: ValidOffsetCommit['offsets'][number]): GroupError | undefined => {
    if (refusal) return refusal;
    if (!state.partition(o.topic, o.partition)) return 'UNKNOWN_TOPIC_OR_PARTITION';
    return o.tooLarge ? 'OFFSET_METADATA_TOO_LARGE' : undefined;
  };
  const results = input.offsets.map((o) => {
    const error = errorOf(o);
    return error ? { topic: o.topic, partition: o.partition, error } : { topic: o.topic, partition: o.partition };
  });
  const accepted: OffsetEntry[] = [];
  input.offsets.forEach((o, i) => {
    if (!results[i].error) accepted.push({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata });
  });
  const ops: Op[] = accepted.length > 0 ? [{ type: 'commitOffsets', group, at: now, offsets: accepted }] : [];
  return { ops, answer: () => ({ partitions: results }) };
}

/**
 * OffsetFetch: every committed offset of the group, or, for the topics named, every
 * partition of each (offset -1 where none was committed).
 */
export function fetchOffsets(state: ClusterState, group: string, topics?: string[]): FetchOffsetsResult {
  const g = state.groups.get(group);
  const out: FetchOffsetsResult['partitions'] = [];
  const names = topics ? [...new Set(topics)] : [...(g?.offsets.keys() ?? [])].sort();
  for (const topic of names) {
    const t = g?.offsets.get(topic);
    const span = Math.max(t?.span ?? 0, topics ? (state.topics.get(topic)?.partitions.length ?? 0) : 0);
    for (let p = 0; p < span; p++) {
      const offset = t && p < t.span ? t.offset[p] : -1;
      if (offset < 0 && !topics) continue;
      out.push({ topic, partition: p, offset, leaderEpoch: offset < 0 ? -1 : t!.leaderEpoch[p], metadata: offset < 0 ? '' : (t!.metadata?.get(p) ?? '') });
    }
  }
  return { partitions: out };
}

/** DeleteGroups, for one group: only when it has no members. */
export function planDeleteGroup(state: ClusterState, membership: GroupMembership, group: string): Plan<{ group: string }> {
  if (!membership.exists(group)) throw notFound('group_not_found', `Consumer group ${group} does not exist.`);
  if (membership.hasMembers(group)) throw conflict('non_empty_group', `Consumer group ${group} has members; it can be deleted once they have left.`);
  const ops: Op[] = state.groups.has(group) ? [{ type: 'deleteGroups', groups: [group] }] : [];
  return {
    ops,
    answer: () => {
      membership.forget(group);
      return { group };
    },
  };
}
