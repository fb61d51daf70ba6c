import { badRequest, unprocessable } from '../../shared/errors';
import type { ClusterRef, TopicConfig, TopicConfigInput } from './types';

import { MAX_LIMIT_VALUE } from '../tiers/limits';
import { MAX_TOPIC_NAME_LENGTH, TOPIC_NAME_PATTERN, regex } from './contract';

/** Kafka's topic name rules (contract.ts): 1..249 of [a-zA-Z0-9._-], and not "." or "..". */
const TOPIC_NAME = regex(TOPIC_NAME_PATTERN);

export function isValidTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export function checkTopicName(name: unknown, field = 'name'): string {
  if (!isValidTopicName(name)) {
    throw badRequest(
      'invalid_topic_name',
      `A topic name is 1 to ${MAX_TOPIC_NAME_LENGTH} characters of letters, digits, ".", "_" and "-", and is not "." or "..".`,
      { field },
    );
  }
  return name;
}

/** Kafka refuses topics whose names differ only by "." versus "_" (their metric names collide). */
export const collisionKey = (name: string) => name.replaceAll('.', '_');

/** The shape of a partition count; the cap is the cluster's tier limit (plan.ts checkPartitionBudget). */
export function checkPartitionCount(n: unknown, field = 'partitions'): number {
  if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_LIMIT_VALUE) {
    throw badRequest('invalid_partitions', `partitions must be a whole number from 1 to ${MAX_LIMIT_VALUE}.`, { field });
  }
  return n as number;
}

export const defaultTopicConfig = (cluster: ClusterRef): TopicConfig => ({
  'retention.ms': cluster.defaultRetentionMs,
  'retention.bytes': cluster.defaultRetentionBytes,
  'cleanup.policy': 'delete',
});

const CONFIG_KEYS = new Set(['retention.ms', 'retention.bytes', 'cleanup.policy']);

/** A long-valued config: a safe integer >= -1 (-1 means unlimited), as a number or a decimal string. */
function longAtLeastMinusOne(key: string, value: unknown): number {
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
  if (!Number.isSafeInteger(n) || (n as number) < -1) {
    throw badRequest('invalid_config', `${key} must be a whole number of milliseconds or bytes, or -1 for unlimited.`, {
      field: `config.${key}`,
    });
  }
  return n as number;
}

/**
 * The config `input` asks for on top of `base`, checked against the cluster's tier. A new
 * topic's retention is always checked; an altered one only when retention.ms changes, so a
 * tier change does not block unrelated edits.
 */
export function resolveTopicConfig(input: unknown, base: TopicConfig, cluster: ClusterRef, creating: boolean): TopicConfig {
  if (input === undefined || input === null) return creating ? checkRetention({ ...base }, cluster) : { ...base };
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw badRequest('invalid_config', 'config must be an object of topic settings.', { field: 'config' });
  }
  const out: TopicConfig = { ...base };
  for (const [key, value] of Object.entries(input as TopicConfigInput)) {
    if (!CONFIG_KEYS.has(key)) {
      throw badRequest('unknown_config', `${key} is not a supported topic setting (retention.ms, retention.bytes, cleanup.policy).`, {
        field: `config.${key}`,
      });
    }
    if (key === 'cleanup.policy') {
      if (value !== 'delete') {
        throw badRequest('unsupported_cleanup_policy', 'cleanup.policy supports only "delete".', { field: 'config.cleanup.policy' });
      }
    } else {
      out[key as 'retention.ms' | 'retention.bytes'] = longAtLeastMinusOne(key, value);
    }
  }
  return creating || 'retention.ms' in (input as object) ? checkRetention(out, cluster) : out;
}

function checkRetention(config: TopicConfig, cluster: ClusterRef): TopicConfig {
  const max = cluster.limits.maxRetentionMs;
  const asked = config['retention.ms'];
  if (max !== -1 && (asked === -1 || asked > max)) {
    throw unprocessable('retention_exceeds_tier', `The cluster's tier allows retention.ms up to ${max}.`, {
      field: 'config.retention.ms',
      maxRetentionMs: max,
    });
  }
  return config;
}
