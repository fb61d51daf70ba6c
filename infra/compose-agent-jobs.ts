import type { Clock } from '../shared/clock';
import type { Config } from '../shared/config';
import type { CursorCodec } from '../shared/cursor';
import type { Logger } from '../shared/logger';
import { createRedis } from '../shared/redis';
import { agentJobQueues } from '../workers/agent-jobs';
import { agentJobOutcomes, jobsExhausted } from '../workers/job-alerts';
import { agentJobsService, type JobsMetadata } from '../services/jobs/service';
import { agentJobPlanner, DEFAULT_PLANNER, type PlannerMetadata } from '../services/jobs/planner';
import type { AgentJobQueue } from '../services/jobs/queue-port';
import { DEFAULT_COMPACTION } from '../services/metadata/job-reads';
import { clusterAccess } from '../services/metadata/cluster-access';
import type { liveStore } from '../services/agents/live-store';

// The agent-job part of the composition root (infra/compose.ts): the per-cluster queues, the
// jobs service agents call, and the planning pass the workers schedule.

/** The queues: one shared connection for every cluster's queue, plus one blocking one per cluster being polled. */
export function composeAgentJobQueues(config: Config, redisUrl: string, clock: Clock, logger: Logger) {
  const connection = createRedis(redisUrl, 'blocking', { cluster: config.redisCluster });
  const queues = agentJobQueues({
    connection,
    prefix: config.queuePrefix,
    hashTagQueues: config.redisCluster,
    leaseMs: config.jobs.leaseMs,
    maxAttempts: config.jobs.maxAttempts,
    backoffMs: config.jobs.backoffMs,
    logger: logger.child({ component: 'agent-jobs' }),
    onExhausted: (type) => jobsExhausted().inc({ queue: 'agent-jobs', name: type }),
    kept: { completed: config.jobs.keepCompleted, failed: config.jobs.keepFailed },
    replanAfterFailureMs: config.jobs.replanAfterFailureMs,
    clock,
  });
  return {
    queues,
    async close() {
      await queues.close();
      connection.disconnect();
    },
  };
}

export interface AgentJobsWiring {
  config: Config;
  clock: Clock;
  logger: Logger;
  queue: AgentJobQueue;
  metadata: JobsMetadata & PlannerMetadata;
  /** The clusters this node's sequencers hold, by `T#<tenant>#C#<cluster>`. */
  sequencers: { status(): { cluster: string; phase: string }[] };
  clusterContexts: Parameters<typeof clusterAccess>[0];
  live: ReturnType<typeof liveStore>;
  cursors: CursorCodec;
}

/** The jobs service and one planning pass over the clusters this node leads. */
export function composeAgentJobs(d: AgentJobsWiring) {
  const { config, logger } = d;
  const access = clusterAccess(d.clusterContexts);
  const agentJobs = agentJobsService({
    queue: d.queue,
    metadata: d.metadata,
    clusterAccess: access,
    agentInfo: async (clusterId, agentId) => {
      const a = (await d.live.records(clusterId, [agentId])).get(agentId);
      return a ? { roles: a.info.roles, state: a.state } : undefined;
    },
    cursors: d.cursors,
    logger: logger.child({ component: 'agent-jobs' }),
    orphanGraceMs: config.jobs.orphanGraceMs,
    onOutcome: (type, outcome) => agentJobOutcomes().inc({ type, outcome }),
  });
  const planAgentJobs = agentJobPlanner({
    queue: d.queue,
    metadata: d.metadata,
    clock: d.clock,
    logger: logger.child({ component: 'agent-jobs' }),
    settings: {
      ...DEFAULT_PLANNER,
      compaction: { ...DEFAULT_COMPACTION, smallFileBytes: config.jobs.compactionSmallFileBytes, minFiles: config.jobs.compactionMinFiles },
      orphanScanEveryMs: config.jobs.orphanScanEveryMs,
      orphanGraceMs: config.jobs.orphanGraceMs,
      maxDeleteFilesPerPass: config.jobs.maxDeleteFilesPerPass,
    },
  });
  /** One planning pass over the clusters this node leads (their metadata is here; no lease is taken for it). */
  const planAgentJobsPass = async () => {
    let clusters = 0;
    for (const s of d.sequencers.status()) {
      if (s.phase !== 'serving') continue;
      const [, tenantId, , clusterId] = s.cluster.split('#');
      try {
        await planAgentJobs(await access(tenantId, clusterId));
        clusters++;
      } catch (err) {
        logger.warn({ clusterId, err: (err as Error).message }, 'agent-job planning failed for a cluster; the next pass tries again');
      }
    }
    return { clusters };
  };
  return { agentJobs, planAgentJobsPass };
}
