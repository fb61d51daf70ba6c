import type { AgentJobData, AgentJobState, JobView, Lease } from './model';

/**
 * The agent-job queues as the jobs service sees them (workers/agent-jobs.ts implements them
 * on BullMQ): one queue per cluster, leases by token, our own attempt limits.
 */
export type Planned = 'added' | 'pending' | 'readded' | 'deferred';

export interface HeldJob {
  data: AgentJobData;
  agentId: string | null;
}

export interface AgentJobQueue {
  /**
   * Queues work under its item's deterministic id; ended work is queued again as a new attempt
   * (`once`: work that ended stays ended, e.g. a period's orphan scan), and its previous ended
   * attempts but the latest are dropped. Work whose last attempt failed is `deferred` until a
   * while after that failure: nobody may be able to run it, and retrying it every pass only
   * piles up failures.
   */
  plan(data: AgentJobData, opts?: { once?: boolean }): Promise<{ outcome: Planned; jobId: string }>;
  /** Waits up to `waitMs` for a job; undefined when none came (or the caller went away). */
  take(clusterId: string, agentId: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined>;
  /** The job when `token` holds its lease right now; undefined otherwise. */
  held(clusterId: string, jobId: string, token: string): Promise<HeldJob | undefined>;
  extend(clusterId: string, jobId: string, token: string): Promise<{ leaseExpiresAt: number } | undefined>;
  /** False when the token no longer holds the lease. */
  complete(clusterId: string, jobId: string, token: string, outcome: Record<string, unknown>): Promise<boolean>;
  /** Undefined when the token no longer holds the lease; else whether the job will run again. */
  fail(clusterId: string, jobId: string, token: string, error: string, retryable: boolean): Promise<{ state: 'retrying' | 'failed'; exhausted: boolean } | undefined>;
  /** Returns every lease this agent holds in the cluster to waiting; resolves with how many. */
  releaseAgent(clusterId: string, agentId: string): Promise<number>;
  list(clusterId: string, opts: { state?: AgentJobState; offset: number; limit: number }): Promise<{ items: JobView[]; total: number }>;
  get(clusterId: string, jobId: string): Promise<JobView | undefined>;
  counts(): Promise<{ name: string; counts: Record<string, number> }[]>;
  /**
   * Drops bookkeeping (who held a job, a work item's attempt counter) for jobs the queue no
   * longer keeps, at most `limit` entries per call: it stays bounded by the jobs kept.
   */
  prune(clusterId: string, limit: number): Promise<number>;
  /** Polls waiting in this process, and the blocking connections they share. */
  polls(): { waiting: number; connections: number };
}
