import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import type { ClusterLifecycle } from '../services/clusters/lifecycle';
import type { ClusterJobs } from '../services/clusters/service';
import type { ClusterStore } from '../services/clusters/store';
import type { TenantsService } from '../services/tenants/service';
import type { FleetService } from '../services/agents/service';
import type { SigningKeys } from '../services/credentials/signing-keys';
import type { UsageRollup } from '../services/usage/rollup';
import { QUEUE, type Queues } from './queues';
import { lifecycleProcessor } from './processors/lifecycle';
import { reconcileProcessor } from './processors/reconcile';
import { agentLivenessProcessor } from './processors/agent-liveness';
import { signingKeyRotationProcessor } from './processors/signing-key-rotation';

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
  fleet: FleetService;
  signingKeys: SigningKeys;
  usageRollup: UsageRollup;
  schedule: { reconcileEveryMs: number; livenessEveryMs: number; signingKeyCheckEveryMs: number; signingKeyRotateEveryMs: number; usageRollupEveryMs: number };
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts the BullMQ workers and the periodic jobs; `close` lets running jobs finish. */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const log = deps.logger.child({ component: 'workers' });
  const lifecycle = new Worker(QUEUE.lifecycle, lifecycleProcessor({ clusters: deps.clusterLifecycle, tenants: deps.tenants, logger: log }), {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: 4,
  });
  const periodic: Record<string, { everyMs: number; run: () => Promise<unknown> }> = {
    reconcile: { everyMs: deps.schedule.reconcileEveryMs, run: reconcileProcessor({ clusters: deps.clusterStore, jobs: deps.clusterJobs, clock: deps.clock, logger: log }) },
    'agent-liveness': { everyMs: deps.schedule.livenessEveryMs, run: agentLivenessProcessor(deps.fleet) },
    'usage-rollup': { everyMs: deps.schedule.usageRollupEveryMs, run: deps.usageRollup },
    'signing-key-rotation': { everyMs: deps.schedule.signingKeyCheckEveryMs, run: signingKeyRotationProcessor(deps.signingKeys, deps.schedule.signingKeyRotateEveryMs) },
  };
  const maintenance = new Worker(
    QUEUE.maintenance,
    async (job) => {
      const p = periodic[job.name];
      if (!p) throw new Error(`unknown maintenance job ${job.name}`);
      return p.run();
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  );
  for (const w of [lifecycle, maintenance]) {
    w.on('failed', (job, err) => log.warn({ queue: w.name, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  // Job schedulers are idempotent: every process may upsert them, Redis keeps one of each.
  const { maintenance: maintenanceQueue } = await deps.queues.open();
  for (const [name, p] of Object.entries(periodic)) {
    await maintenanceQueue.upsertJobScheduler(name, { every: p.everyMs }, { name, data: {} });
  }
  await Promise.all([lifecycle.waitUntilReady(), maintenance.waitUntilReady()]);
  return {
    close: async () => {
      await Promise.all([lifecycle.close(), maintenance.close()]);
    },
  };
}
