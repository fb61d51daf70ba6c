import type { Job, Worker } from 'bullmq';
import client from 'prom-client';
import type { Logger } from '../shared/logger';

const EXHAUSTED = 'hm_jobs_exhausted_total';

/**
 * The counter of jobs that used up their attempts, in prom-client's default registry (which
 * GET /metrics serves). Looked up by name each time, since the HTTP app clears the registry
 * when it is built; `known` label pairs start at 0 so that an alert on the first increase fires.
 */
export function jobsExhausted(known: { queue: string; name: string }[] = []): client.Counter<'queue' | 'name'> {
  let counter = client.register.getSingleMetric(EXHAUSTED) as client.Counter<'queue' | 'name'> | undefined;
  counter ??= new client.Counter({ name: EXHAUSTED, help: 'Jobs that failed on their last attempt (they stay failed until re-queued)', labelNames: ['queue', 'name'] });
  for (const labels of known) counter.inc(labels, 0);
  return counter;
}

/** A job failed for good (no attempt left, or unrecoverable): BullMQ sets finishedOn only then. */
export const exhaustedAttempts = (job: Job) => Boolean(job.finishedOn);

/** Counts and logs, as an error, every job of `worker` that fails on its last attempt. */
export function alertOnExhausted(worker: Worker, logger: Logger): void {
  worker.on('failed', (job, err) => {
    if (!job || !exhaustedAttempts(job)) return;
    jobsExhausted().inc({ queue: worker.name, name: job.name });
    logger.error(
      { queue: worker.name, job: job.name, jobId: job.id, attempts: job.attemptsMade, err: err.message },
      'job failed on its last attempt; it stays failed until the reconciler (or a retried request) queues it again',
    );
  });
}

const AGENT_JOBS = 'hm_agent_jobs_total';

/** Agent-job outcomes per type (completed, refused, cancelled, retrying, failed, exhausted), in the default registry. */
export function agentJobOutcomes(): client.Counter<'type' | 'outcome'> {
  let counter = client.register.getSingleMetric(AGENT_JOBS) as client.Counter<'type' | 'outcome'> | undefined;
  counter ??= new client.Counter({ name: AGENT_JOBS, help: 'Agent jobs by type and outcome', labelNames: ['type', 'outcome'] });
  return counter;
}
