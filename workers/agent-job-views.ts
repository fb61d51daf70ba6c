import type { Job, Queue } from 'bullmq';
import { scanKeys, type RedisClient } from '../shared/redis';
import type { AgentJobData, AgentJobState, JobView } from '../services/jobs/model';
import { AGENT_JOB_STATES } from '../services/jobs/model';
import type { AgentJobQueue } from '../services/jobs/queue-port';
import { laneKeys, QUEUE_PREFIX, type Lane } from './agent-job-lanes';
import type { QueueKeys } from './queue-keys';

/** The read side of the agent-job queues: the customer's and the console's views of jobs. */
export function agentJobViews(deps: { connection: RedisClient; keys: QueueKeys; maxAttempts: number; laneOf(clusterId: string): Promise<Lane> }): Pick<AgentJobQueue, 'list' | 'get' | 'counts'> {
  const { connection, keys: queueKeys, maxAttempts, laneOf } = deps;
  const { holders: holdersKey } = laneKeys(queueKeys);

  async function view(lane: Lane, job: Job, state?: string): Promise<JobView> {
    const data = job.data as AgentJobData;
    const holder = await connection.hget(holdersKey(lane.clusterId), job.id!);
    const rv = job.returnvalue as { outcome?: string } | null | undefined;
    return {
      id: job.id!,
      type: data.type,
      state: ((state ?? (await job.getState())) === 'prioritized' ? 'waiting' : (state ?? (await job.getState()))) as JobView['state'],
      workItem: data.workItem,
      attempts: job.attemptsStarted,
      maxAttempts,
      agentId: holder ? holder.split(' ')[0] : null,
      createdAt: job.timestamp,
      startedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? null,
      error: job.failedReason || null,
      outcome: rv?.outcome ?? null,
    };
  }

  return {
    async list(clusterId, o) {
      const lane = await laneOf(clusterId);
      const states: AgentJobState[] = o.state ? [o.state] : AGENT_JOB_STATES;
      const bullStates = (s: AgentJobState) => (s === 'waiting' ? ['waiting', 'prioritized'] : [s]);
      const counts = await lane.queue.getJobCounts(...(states.flatMap(bullStates) as Parameters<Queue['getJobCounts']>));
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const items: JobView[] = [];
      let skip = o.offset;
      for (const s of states) {
        for (const b of bullStates(s)) {
          const n = counts[b] ?? 0;
          if (skip >= n) {
            skip -= n;
            continue;
          }
          const want = o.limit - items.length;
          if (want <= 0) break;
          const jobs = await lane.queue.getJobs([b as 'waiting'], skip, skip + want - 1, b !== 'completed' && b !== 'failed');
          skip = 0;
          for (const j of jobs) if (j) items.push(await view(lane, j, s));
        }
      }
      return { items: items.slice(0, o.limit), total };
    },

    async get(clusterId, jobId) {
      const lane = await laneOf(clusterId);
      const job = await lane.queue.getJob(jobId);
      return job ? view(lane, job) : undefined;
    },

    async counts() {
      const names = (await scanKeys(connection, queueKeys.metaPattern(`${QUEUE_PREFIX}*`), 1000)).flatMap((k) => queueKeys.nameOfMeta(k) ?? []);
      const out: { name: string; counts: Record<string, number> }[] = [];
      for (const name of names.sort()) {
        const clusterId = name.slice(QUEUE_PREFIX.length);
        const lane = await laneOf(clusterId);
        out.push({ name: lane.queue.name, counts: await lane.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized') });
      }
      return out;
    },

  };
}
