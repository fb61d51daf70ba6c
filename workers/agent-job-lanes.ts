import { createHash } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import type { Lease } from '../services/jobs/model';
import type { QueueKeys } from './queue-keys';

// Names, keys and in-memory records of the per-cluster agent-job queues (workers/agent-jobs.ts).

export const agentJobQueueName = (clusterId: string) => `agent-jobs-${clusterId}`;
export const QUEUE_PREFIX = 'agent-jobs-';
/** BullMQ job ids may not hold ":"; the work item's hash, with the attempt of the plan. */
export const jobIdOf = (workItem: string, n: number) => `job_${createHash('sha256').update(workItem).digest('base64url').slice(0, 22)}-${n}`;
export const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface Waiter {
  agentId: string;
  done: boolean;
  resolve(lease: Lease | undefined): void;
}

export interface Lane {
  clusterId: string;
  queue: Queue;
  worker?: Worker;
  waiters: Waiter[];
  pumping: boolean;
  lastUsed: number;
  /** Where the bounded bookkeeping prune resumes its HSCANs. */
  pruneCursors: { holders: string; plans: string };
}

/**
 * Redis keys our bookkeeping adds beside BullMQ's: lease holders, plan attempt counters, BullMQ's
 * lock. Under the queue's own prefix, so on a cluster they share the queue's hash slot.
 */
export function laneKeys(keys: QueueKeys) {
  const base = (clusterId: string) => `${keys.prefix(agentJobQueueName(clusterId))}:${agentJobQueueName(clusterId)}`;
  return {
    holders: (clusterId: string) => `${base(clusterId)}:holders`,
    plans: (clusterId: string) => `${base(clusterId)}:plans`,
    lock: (clusterId: string, jobId: string) => `${base(clusterId)}:${jobId}:lock`,
  };
}
