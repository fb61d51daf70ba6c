import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import type { ClusterLifecycle } from '../services/clusters/lifecycle';
import type { ClusterJobs } from '../services/clusters/service';
import type { ClusterStore } from '../services/clusters/store';
import type { TenantsService } from '../services/tenants/service';
import { QUEUE, type Queues } from './queues';
import { lifecycleProcessor } from './processors/lifecycle';
import { reconcileProcessor } from './processors/reconcile';

export interface WorkerDeps {
  connection: ConnectionOptions;
  prefix: string;
  queues: Queues;
  logger: Logger;
  clock: Clock;
  clusterLifecycle: ClusterLifecycle;
  clusterStore: ClusterStore;
  clusterJobs: ClusterJobs;
  tenants: TenantsService;
  reconcileEveryMs?: number;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts the BullMQ workers and the periodic reconciler; `close` drains them. */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const log = deps.logger.child({ component: 'workers' });
  const lifecycle = new Worker(QUEUE.lifecycle, lifecycleProcessor({ clusters: deps.clusterLifecycle, tenants: deps.tenants, logger: log }), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 4,
  });
  const maintenance = new Worker(
    QUEUE.maintenance,
    async (job) => {
      if (job.name === 'reconcile') return reconcileProcessor({ clusters: deps.clusterStore, jobs: deps.clusterJobs, clock: deps.clock, logger: log })();
      throw new Error(`unknown maintenance job ${job.name}`);
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  );
  for (const w of [lifecycle, maintenance]) {
    w.on('failed', (job, err) => log.warn({ queue: w.name, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  await deps.queues.maintenance.upsertJobScheduler('reconcile', { every: deps.reconcileEveryMs ?? 30_000 }, { name: 'reconcile', data: {} });
  await Promise.all([lifecycle.waitUntilReady(), maintenance.waitUntilReady()]);
  return {
    close: async () => {
      await Promise.all([lifecycle.close(), maintenance.close()]);
    },
  };
}
