import { randomBytes } from 'node:crypto';
import { badRequest, conflict, notFound, unprocessable } from '../../shared/errors';
import type { Op } from './ops';
import { commitResultOf, describeTopic, topicSummary } from './reads';
import type { ClusterState } from './state';
import { checkPartitionCount, checkTopicName, collisionKey, defaultTopicConfig, resolveTopicConfig } from './topic-rules';
import type { ClusterRef, CommitFileResult, TopicDescription, TopicSummary } from './types';
import type { ValidCommit } from './validate-commit';

/**
 * The leader's half of a write: checks a request against the current state and the cluster's
 * limits and turns it into journal operations. Planning changes nothing; a refusal is an
 * AppError. `answer` runs after the operations were applied and builds the response.
 */
export interface Plan<T> {
  ops: Op[];
  answer(): T;
}

export const newTopicId = () => randomBytes(16).toString('base64url');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPartitionBudget(state: ClusterState, cluster: ClusterRef, adding: number): void {
  const limit = cluster.limits.partitionsPerCluster;
  if (state.totalPartitions + adding > limit) {
    throw unprocessable(
      'partition_limit_exceeded',
      `The cluster's tier allows ${limit} partitions; it has ${state.totalPartitions} and this would add ${adding}.`,
      { limit, current: state.totalPartitions },
    );
  }
}

function hasCollision(state: ClusterState, name: string, alsoCreating: Iterable<string> = []): boolean {
  const key = collisionKey(name);
  if (key === name && !name.includes('_')) return false;
  for (const other of state.topics.keys()) if (other !== name && collisionKey(other) === key) return true;
  for (const other of alsoCreating) if (other !== name && collisionKey(other) === key) return true;
  return false;
}

export function planCreateTopic(state: ClusterState, cluster: ClusterRef, input: unknown, now: number, topicId = newTopicId()): Plan<TopicDescription> {
  if (!isObject(input)) throw badRequest('invalid_request', 'The topic must be a JSON object.');
  const name = checkTopicName(input.name);
  const partitions = checkPartitionCount(input.partitions);
  const config = resolveTopicConfig(input.config, defaultTopicConfig(cluster), cluster, true);
  if (state.topics.has(name)) throw conflict('topic_exists', `Topic ${name} already exists.`);
  if (hasCollision(state, name)) {
    throw conflict('topic_name_collision', `Topic ${name} collides with an existing topic whose name differs only by "." and "_".`);
  }
  checkPartitionBudget(state, cluster, partitions);
  return {
    ops: [{ type: 'createTopic', name, topicId, partitions, config, at: now }],
    answer: () => describeTopic(state, name),
  };
}

/** Grows partitions (never shrinks; the same count is a no-op) and replaces the given config keys. */
export function planUpdateTopic(state: ClusterState, cluster: ClusterRef, name: string, input: unknown): Plan<TopicDescription> {
  const topic = state.topics.get(name);
  if (!topic) throw notFound('unknown_topic', `Topic ${name} does not exist.`);
  if (!isObject(input)) throw badRequest('invalid_request', 'The update must be a JSON object.');
  const ops: Op[] = [];
  if (input.partitions !== undefined) {
    const partitions = checkPartitionCount(input.partitions);
    const current = topic.partitions.length;
    if (partitions < current) {
      throw unprocessable('partition_count_not_increased', `Topic ${name} has ${current} partitions; partitions can only be added.`, {
        field: 'partitions',
        current,
      });
    }
    if (partitions > current) {
      checkPartitionBudget(state, cluster, partitions - current);
      ops.push({ type: 'addPartitions', name, partitions });
    }
  }
  if (input.config !== undefined) {
    const config = resolveTopicConfig(input.config, topic.config, cluster, false);
    const changed = (Object.keys(config) as (keyof typeof config)[]).some((k) => config[k] !== topic.config[k]);
    if (changed) ops.push({ type: 'alterConfig', name, config });
  }
  return { ops, answer: () => describeTopic(state, name) };
}

export function planDeleteTopic(state: ClusterState, name: string, now: number): Plan<TopicSummary> {
  const topic = state.topics.get(name);
  if (!topic) throw notFound('unknown_topic', `Topic ${name} does not exist.`);
  const summary = topicSummary(topic);
  return { ops: [{ type: 'deleteTopic', name, at: now }], answer: () => summary };
}

/**
 * A commit of a file not seen before becomes one commitFile operation, preceded by the
 * creation of unknown topics when the cluster auto-creates them (with its defaults, as far
 * as the partition limit allows). A fileId seen before answers from its record: the same
 * body gets the original offsets and writes nothing, a different body is a conflict.
 */
export function planCommitFile(
  state: ClusterState,
  cluster: ClusterRef,
  commit: ValidCommit,
  now: number,
  topicId: () => string = newTopicId,
): Plan<CommitFileResult> {
  const { body, fingerprint, encodedBody } = commit;
  const known = state.files.numberOf(body.fileId);
  if (known !== undefined) {
    if (state.files.fingerprintOf(known) !== fingerprint) {
      throw conflict('file_id_conflict', `File ${body.fileId} was already committed with different contents.`, { fileId: body.fileId });
    }
    return { ops: [], answer: () => commitResultOf(state, body.fileId, body.batches, true) };
  }
  const ops: Op[] = [];
  if (cluster.autoCreateTopics) {
    let budget = cluster.limits.partitionsPerCluster - state.totalPartitions;
    const config = defaultTopicConfig(cluster);
    const partitions = cluster.defaultPartitions;
    const creating = new Set<string>();
    for (const b of body.batches) {
      if (state.topics.has(b.topic) || creating.has(b.topic) || partitions > budget || hasCollision(state, b.topic, creating)) continue;
      creating.add(b.topic);
      budget -= partitions;
      ops.push({ type: 'createTopic', name: b.topic, topicId: topicId(), partitions, config, at: now });
    }
  }
  ops.push({ type: 'commitFile', body, fingerprint, at: now, encodedBody });
  return { ops, answer: () => commitResultOf(state, body.fileId, body.batches, false) };
}
