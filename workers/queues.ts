import type { ConnectionOptions, JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedis } from '../shared/redis';
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

export type MaintenanceJob = { name: 'reconcile'; data: Record<string, never> };

/** Bounded retries with exponential backoff; finished jobs are kept a while for the console. */
export const LIFECYCLE_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ, loaded on first use; a bundled CommonJS module may expose its names on `default` only. */
async function loadBullmq(): Promise<typeof import('bullmq')> {
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

export function openQueues(connection: ConnectionOptions, prefix: string): Queues {
  let opened: Promise<OpenQueues> | undefined;
  return {
    open: () =>
      (opened ??= loadBullmq().then(({ Queue }) => ({
        lifecycle: new Queue(QUEUE.lifecycle, { connection, prefix, defaultJobOptions: LIFECYCLE_JOB_OPTIONS }),
        maintenance: new Queue(QUEUE.maintenance, { connection, prefix, defaultJobOptions: { removeOnComplete: 100, removeOnFail: 100 } }),
      }))),
    close: async () => {
      if (!opened) return;
      const q = await opened;
      await Promise.all([q.lifecycle.close(), q.maintenance.close()]);
    },
  };
}

/**
 * The producer side that services call. Job ids are derived from the target, so queuing the
 * same work twice (a retried request, the reconciler) adds it once.
 */
export function lifecycleProducer(queues: Queues): ClusterJobs & TenantJobs {
  const add = async (job: LifecycleJob, id: string) => {
    await (await queues.open()).lifecycle.add(job.name, job.data, { jobId: id });
  };
  return {
    provision: (tenantId, clusterId) => add({ name: 'cluster.provision', data: { tenantId, clusterId } }, `cluster-provision-${clusterId}`),
    destroy: (tenantId, clusterId) => add({ name: 'cluster.destroy', data: { tenantId, clusterId } }, `cluster-destroy-${clusterId}`),
    purge: (tenantId) => add({ name: 'tenant.purge', data: { tenantId } }, `tenant-purge-${tenantId}`),
  };
}

export function queueOverview(queues: Queues): QueueOverview {
  return {
    async counts() {
      const q = await queues.open();
      return Promise.all(
        [q.lifecycle, q.maintenance].map(async (q) => ({
          name: q.name,
          counts: await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'),
        })),
      );
    },
  };
}

/**
 * Every queue under the prefix, as the queue console (bull-board) lists them: the fixed ones and
 * any that appear later (per-cluster agent-job queues), found by their `meta` keys in Redis.
 */
export function queueRegistry(redisUrl: string, prefix: string, scan: (pattern: string) => Promise<string[]>) {
  const known = new Map<string, Queue>();
  // One connection for every queue shown (BullMQ reuses a connection it is given), not one each.
  let connection: Redis | undefined;
  return {
    async all(): Promise<Queue[]> {
      const { Queue } = await loadBullmq();
      connection ??= createRedis(redisUrl, 'blocking');
      const names = (await scan(`${prefix}:*:meta`)).map((k) => k.slice(prefix.length + 1, -':meta'.length)).filter((n) => n && !n.includes(':'));
      for (const name of [QUEUE.lifecycle, QUEUE.maintenance, ...names]) {
        if (!known.has(name)) known.set(name, new Queue(name, { connection, prefix }));
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
