import type { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import type { RedisClient } from '../shared/redis';
import type { QueueKeys } from './queue-keys';
import type { ClusterJobs } from '../services/clusters/service';
import type { TenantJobs } from '../services/tenants/service';
import type { QueueOverview } from '../services/ops/queues';

/** Queue names. One lifecycle queue for control-plane work; maintenance for periodic sweeps. */
export const QUEUE = {
  lifecycle: 'lifecycle',
  maintenance: 'maintenance',
} as const;

export type LifecycleJob =
  | { name: 'cluster.provision'; data: { tenantId: string; clusterId: string } }
  | { name: 'cluster.destroy'; data: { tenantId: string; clusterId: string } }
  | { name: 'tenant.purge'; data: { tenantId: string } };

export const LIFECYCLE_JOB_NAMES: LifecycleJob['name'][] = ['cluster.provision', 'cluster.destroy', 'tenant.purge'];

export type MaintenanceJob = { name: 'reconcile'; data: Record<string, never> };

/** Bounded retries with exponential backoff; finished jobs are kept a while for the console. */
export const LIFECYCLE_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * Every queue's event stream (BullMQ trims it to this many entries; its default is 10,000, a
 * megabyte or two per queue, so per cluster). Nothing here reads the events: they are for
 * debugging with QueueEvents. Every Queue object is opened with it, as each one writes it to
 * the queue's meta when it connects.
 */
export const QUEUE_STREAMS = { events: { maxLen: 1000 } };

/** BullMQ, loaded on first use; a bundled CommonJS module may expose its names on `default` only. */
export async function loadBullmq(): Promise<typeof import('bullmq')> {
  const m = await import('bullmq');
  return (m.Queue ? m : (m as unknown as { default: typeof import('bullmq') }).default);
}

export interface OpenQueues {
  lifecycle: Queue;
  maintenance: Queue;
}

export interface Queues {
  /** The queues, opened on first use: BullMQ is loaded and connects only when a job is queued or read. */
  open(): Promise<OpenQueues>;
  close(): Promise<void>;
}

export function openQueues(connection: ConnectionOptions, keys: QueueKeys): Queues {
  let opened: Promise<OpenQueues> | undefined;
  return {
    open: () =>
      (opened ??= loadBullmq().then(({ Queue }) => ({
        lifecycle: new Queue(QUEUE.lifecycle, { connection, prefix: keys.prefix(QUEUE.lifecycle), streams: QUEUE_STREAMS, defaultJobOptions: LIFECYCLE_JOB_OPTIONS }),
        maintenance: new Queue(QUEUE.maintenance, { connection, prefix: keys.prefix(QUEUE.maintenance), streams: QUEUE_STREAMS, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } }),
      }))),
    close: async () => {
      if (!opened) return;
      const q = await opened;
      await Promise.all([q.lifecycle.close(), q.maintenance.close()]);
    },
  };
}

/** What queuing a job did: added anew, already waiting or running, or added again after it had finished. */
export type Queued = 'added' | 'pending' | 'readded';

/** A finished job found under the id, reported when it is replaced. */
export interface Replaced {
  state: 'completed' | 'failed';
  attemptsMade: number;
  failedReason?: string;
}

const PENDING_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Adds a job under its deterministic id, for real. BullMQ ignores `add` for an id it still
 * holds in any state, and keeps finished jobs a while (failed ones 7 days): a job that is
 * waiting, delayed or running is left alone; a finished one is removed first and added again.
 * The outcome is checked, not assumed: the job now under the id must be the one just added
 * (its timestamp), or a pending one someone else added meanwhile.
 */
export async function ensureJob(queue: Queue, job: LifecycleJob, id: string): Promise<{ outcome: Queued; replaced?: Replaced }> {
  const existing = await queue.getJob(id);
  let replaced: Replaced | undefined;
  if (existing) {
    const state = await existing.getState();
    if (PENDING_STATES.has(state)) return { outcome: 'pending' };
    if (state === 'completed' || state === 'failed') {
      replaced = { state, attemptsMade: existing.attemptsMade, failedReason: existing.failedReason };
      await existing.remove();
    }
  }
  const added = await queue.add(job.name, job.data, { jobId: id });
  const now = await queue.getJob(id);
  if (now?.timestamp === added.timestamp) return { outcome: replaced ? 'readded' : 'added', replaced };
  if (now && PENDING_STATES.has(await now.getState())) return { outcome: 'pending' };
  throw new Error(`queue ${queue.name} did not take job ${id}`);
}

export interface LifecycleJobs extends ClusterJobs, TenantJobs {
  /** Queues the job again unless it is pending; for the reconciler, which reports what it did. */
  requeue(kind: 'provision' | 'destroy', tenantId: string, clusterId: string): Promise<{ outcome: Queued; replaced?: Replaced }>;
  requeuePurge(tenantId: string): Promise<{ outcome: Queued; replaced?: Replaced }>;
}

/**
 * The producer side that services call. Job ids are derived from the target, so queuing the
 * same work twice (a retried request, the reconciler) adds it once while it is pending, and
 * again once it has finished (a failed job is retried by queuing it anew).
 */
export function lifecycleProducer(queues: Queues): LifecycleJobs {
  const clusterJob = async (kind: 'provision' | 'destroy', tenantId: string, clusterId: string) =>
    ensureJob((await queues.open()).lifecycle, { name: `cluster.${kind}`, data: { tenantId, clusterId } }, `cluster-${kind}-${clusterId}`);
  const purgeJob = async (tenantId: string) => ensureJob((await queues.open()).lifecycle, { name: 'tenant.purge', data: { tenantId } }, `tenant-purge-${tenantId}`);
  return {
    provision: async (tenantId, clusterId) => void (await clusterJob('provision', tenantId, clusterId)),
    destroy: async (tenantId, clusterId) => void (await clusterJob('destroy', tenantId, clusterId)),
    purge: async (tenantId) => void (await purgeJob(tenantId)),
    requeue: clusterJob,
    requeuePurge: purgeJob,
  };
}

export function queueOverview(queues: Queues): QueueOverview {
  return {
    async counts() {
      const open = await queues.open();
      return Promise.all(
        [open.lifecycle, open.maintenance].map(async (q) => ({
          name: q.name,
          counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
        })),
      );
    },
  };
}

/**
 * Every queue under the prefix, as the queue console (bull-board) lists them: the fixed ones and
 * any that appear later (per-cluster agent-job queues), found by their `meta` keys in Redis
 * (`scan` covers every node of a cluster). `connect` opens the one connection every queue
 * shown shares (BullMQ reuses a connection it is given), not one each.
 */
export function queueRegistry(connect: () => RedisClient, keys: QueueKeys, scan: (pattern: string) => Promise<string[]>) {
  const known = new Map<string, Queue>();
  let connection: RedisClient | undefined;
  return {
    async all(): Promise<Queue[]> {
      const { Queue } = await loadBullmq();
      connection ??= connect();
      const names = (await scan(keys.metaPattern('*'))).flatMap((k) => keys.nameOfMeta(k) ?? []);
      for (const name of [QUEUE.lifecycle, QUEUE.maintenance, ...names]) {
        if (!known.has(name)) known.set(name, new Queue(name, { connection, prefix: keys.prefix(name), streams: QUEUE_STREAMS }));
      }
      return [...known.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
    async close() {
      await Promise.all([...known.values()].map((q) => q.close()));
      known.clear();
      connection?.disconnect();
    },
  };
}
export type QueueRegistry = ReturnType<typeof queueRegistry>;
