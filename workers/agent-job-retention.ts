import type { Job, JobsOptions, Queue } from 'bullmq';
import type { AgentJobData, EndedJobData } from '../services/jobs/model';
import { PENDING } from './agent-job-lanes';

// What the agent-job queues keep of ended jobs (workers/agent-jobs.ts): few, small, and one per
// work item, so that Redis holds the live work plus a bounded window of history.

export interface KeptJobs {
  /** The newest `count` completed jobs per cluster's queue, none older than `ageMs`. */
  completed: { count: number; ageMs: number };
  failed: { count: number; ageMs: number };
}

export const DEFAULT_KEPT: KeptJobs = { completed: { count: 200, ageMs: 3_600_000 }, failed: { count: 1000, ageMs: 86_400_000 } };

/** BullMQ's options for a planned job: retries, the kept-job caps (ages in seconds), no stack traces (ours say nothing). */
export function plannedJobOptions(maxAttempts: number, backoffMs: number, kept: KeptJobs): JobsOptions {
  return {
    attempts: maxAttempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: Math.ceil(kept.completed.ageMs / 1000), count: kept.completed.count },
    removeOnFail: { age: Math.ceil(kept.failed.ageMs / 1000), count: kept.failed.count },
    stackTraceLimit: 0,
  };
}

/** The few fields of a payload that say what the job was about (object keys, batches and sources are dropped). */
function summaryOf(data: AgentJobData): Record<string, string | number> {
  switch (data.type) {
    case 'compaction':
      return { topic: data.payload.topic, partition: data.payload.partition, batches: data.payload.batches.length, files: data.payload.sources.length };
    case 'delete-files':
      return { source: data.payload.source, objects: data.payload.objects.length };
    case 'replicate':
      return { fileId: data.payload.fileId, region: data.payload.target.region };
    case 'orphan-scan':
      return { region: data.payload.region };
  }
}

/**
 * An ended job keeps what the views show (type, work item, its error or outcome), not its
 * payload: a compaction's inputs run to tens of KB, and a failed job is kept for a day.
 * `endedAt` is on the service clock (the failure cool-down is measured on it).
 */
export async function trimEnded(job: Job, endedAt: number): Promise<void> {
  const data = job.data as AgentJobData | EndedJobData;
  if (!('payload' in data)) return;
  const ended: EndedJobData = { type: data.type, tenantId: data.tenantId, clusterId: data.clusterId, workItem: data.workItem, summary: summaryOf(data), endedAt };
  // Gone already (removed by the kept-job caps): nothing to trim.
  await job.updateData(ended as unknown as AgentJobData).catch(() => undefined);
}

/** When an ended job ended, on the service clock (BullMQ's wall-clock stamp if it was never trimmed). */
export const endedAtOf = (job: Job) => (job.data as Partial<EndedJobData>).endedAt ?? job.finishedOn ?? 0;

/** Removes the job under `id` if it has ended; a pending one is left alone. True when it is gone. */
export async function removeEnded(queue: Queue, id: string): Promise<boolean> {
  const job = await queue.getJob(id);
  if (!job) return true;
  if (PENDING.has(await job.getState())) return false;
  await job.remove().catch(() => undefined);
  return true;
}
