import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from '../shared/logger';
import type { Clock } from '../shared/clock';
import type { ClusterLifecycle } from '../services/clusters/lifecycle';
import type { ClusterStore } from '../services/clusters/store';
import type { TenantStore } from '../services/tenants/store';
import type { TenantsService } from '../services/tenants/service';
import type { FleetService } from '../services/agents/service';
import type { SigningKeys } from '../services/credentials/signing-keys';
import { alertOnExhausted, jobsExhausted } from './job-alerts';
import type { KeyHygiene } from '../services/credentials/key-hygiene';
import type { UsageRollup } from '../services/usage/rollup';
import type { QueueKeys } from './queue-keys';
import { LIFECYCLE_JOB_NAMES, QUEUE, type LifecycleJobs, type Queues } from './queues';
import { lifecycleProcessor } from './processors/lifecycle';
import { reconcileProcessor } from './processors/reconcile';
import { agentLivenessProcessor } from './processors/agent-liveness';
import { signingKeyRotationProcessor } from './processors/signing-key-rotation';

export interface WorkerDeps {
  connection: ConnectionOptions;
  /** Where each queue's keys live (hash-tagged per queue on a Redis Cluster). */
  queueKeys: QueueKeys;
  queues: Queues;
  logger: Logger;
  clock: Clock;
  clusterLifecycle: ClusterLifecycle;
  clusterStore: ClusterStore;
  tenantStore: Pick<TenantStore, 'allDeleting'>;
  lifecycleJobs: LifecycleJobs;
  reclaimLeakedCreates: () => Promise<{ released: number; confirmed: number }>;
  tenants: TenantsService;
  fleet: FleetService;
  signingKeys: SigningKeys;
  keyHygiene: KeyHygiene;
  usageRollup: UsageRollup;
  /** One pass of the agent-job planners (services/jobs/planner.ts). */
  planAgentJobs: () => Promise<unknown>;
  schedule: {
    reconcileEveryMs: number;
    livenessEveryMs: number;
    signingKeyCheckEveryMs: number;
    signingKeyRotateEveryMs: number;
    keyExpiryEveryMs: number;
    usageRollupEveryMs: number;
    agentJobPlanningEveryMs: number;
  };
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts the BullMQ workers and the periodic jobs; `close` lets running jobs finish. */
export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const log = deps.logger.child({ component: 'workers' });
  const lifecycle = new Worker(QUEUE.lifecycle, lifecycleProcessor({ clusters: deps.clusterLifecycle, tenants: deps.tenants, logger: log }), {
    connection: deps.connection,
    prefix: deps.queueKeys.prefix(QUEUE.lifecycle),
    concurrency: 4,
    // After a Redis outage, fetch again within a second of its return (BullMQ waits 15 s).
    runRetryDelay: 1000,
  });
  const periodic: Record<string, { everyMs: number; run: () => Promise<unknown> }> = {
    reconcile: { everyMs: deps.schedule.reconcileEveryMs, run: reconcileProcessor({ clusters: deps.clusterStore, tenants: deps.tenantStore, jobs: deps.lifecycleJobs, reclaimLeakedCreates: deps.reclaimLeakedCreates, clock: deps.clock, logger: log }) },
    'agent-liveness': { everyMs: deps.schedule.livenessEveryMs, run: agentLivenessProcessor(deps.fleet) },
    'usage-rollup': { everyMs: deps.schedule.usageRollupEveryMs, run: deps.usageRollup },
    'signing-key-rotation': { everyMs: deps.schedule.signingKeyCheckEveryMs, run: signingKeyRotationProcessor(deps.signingKeys, deps.schedule.signingKeyRotateEveryMs) },
    'key-expiry-warnings': { everyMs: deps.schedule.keyExpiryEveryMs, run: () => deps.keyHygiene.warnExpiring() },
    'agent-job-planning': { everyMs: deps.schedule.agentJobPlanningEveryMs, run: deps.planAgentJobs },
  };
  const maintenance = new Worker(
    QUEUE.maintenance,
    async (job) => {
      const p = periodic[job.name];
      if (!p) throw new Error(`unknown maintenance job ${job.name}`);
      return p.run();
    },
    { connection: deps.connection, prefix: deps.queueKeys.prefix(QUEUE.maintenance), concurrency: 1, runRetryDelay: 1000 },
  );
  jobsExhausted(LIFECYCLE_JOB_NAMES.map((name) => ({ queue: QUEUE.lifecycle, name })));
  for (const w of [lifecycle, maintenance]) {
    w.on('failed', (job, err) => log.warn({ queue: w.name, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
    w.on('error', (err) => log.error({ queue: w.name, err: err.message }, 'worker error'));
    alertOnExhausted(w, log);
  }
  // Job schedulers are idempotent: every process may upsert them, Redis keeps one of each.
  // Again every minute: a Redis that restarted without its data lost them too.
  const upsertSchedulers = async () => {
    for (const [name, p] of Object.entries(periodic)) {
      await (await deps.queues.open()).maintenance.upsertJobScheduler(name, { every: p.everyMs }, { name, data: {} });
    }
  };
  await upsertSchedulers();
  let restoring: Promise<void> | undefined;
  const restore = setInterval(() => {
    // One at a time: while Redis is away, the call waits for it.
    restoring ??= upsertSchedulers()
      .catch((err) => log.warn({ err: err.message }, 'could not restore the job schedulers'))
      .finally(() => (restoring = undefined));
  }, 60_000);
  restore.unref();
  await Promise.all([lifecycle.waitUntilReady(), maintenance.waitUntilReady()]);
  return {
    close: async () => {
      clearInterval(restore);
      await Promise.all([lifecycle.close(), maintenance.close()]);
    },
  };
}
