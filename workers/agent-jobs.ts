import { randomUUID } from 'node:crypto';
import type { Job, Worker } from 'bullmq';
import type { RedisClient } from '../shared/redis';
import type { Logger } from '../shared/logger';
import type { AgentJobData, AgentJobType, Lease } from '../services/jobs/model';
import type { AgentJobQueue, HeldJob, Planned } from '../services/jobs/queue-port';
import { agentJobQueueName, jobIdOf, laneKeys, PENDING, type Lane, type Waiter } from './agent-job-lanes';
import { DEFAULT_KEPT, endedAtOf, plannedJobOptions, removeEnded, trimEnded, type KeptJobs } from './agent-job-retention';
import { agentJobViews } from './agent-job-views';
import { loadBullmq, QUEUE_STREAMS } from './queues';
import { queueKeys } from './queue-keys';

export { agentJobQueueName } from './agent-job-lanes';

/**
 * The agent-job queues on BullMQ: one queue per cluster (`agent-jobs-<clusterId>`), handed out
 * by manual fetching. Every hand-out gets a fresh random lease token (BullMQ's lock value);
 * heartbeats extend the lock with it (extendLock answers 0, not an error, for a wrong token: we
 * check), completion and failure move the job with it. A lease that is not extended expires and
 * the stalled-job checker (BullMQ's, guarded by its own lock, so one runs at a time per queue)
 * returns the job to waiting. Attempts are ours: a job started more than `maxAttempts` times is
 * failed at its next hand-out (manual fetching does not fail stalled jobs by itself), and a
 * retryable failure is retried with exponential backoff up to the same limit.
 *
 * Long polls: per process and cluster one pump holds the cluster's only blocking connection
 * and fans jobs out, in order of arrival, to the polls waiting in memory. Thousands of polls
 * cost one Redis connection per cluster being polled (closed when idle) plus one shared one.
 */
export interface AgentJobQueueOptions {
  /** A BullMQ-capable connection (maxRetriesPerRequest: null), shared by every queue object. */
  connection: RedisClient;
  prefix: string;
  /** On a Redis Cluster: each queue's keys under its own hash tag (see queue-keys.ts). */
  hashTagQueues?: boolean;
  leaseMs: number;
  maxAttempts: number;
  backoffMs: number;
  logger: Logger;
  /** Seconds a blocking fetch waits before it looks again (BullMQ drainDelay). */
  drainDelaySeconds?: number;
  /** Close a cluster's blocking connection after this long without polls. */
  idleCloseMs?: number;
  /** Per-job outcome hook (metrics). */
  onExhausted?: (type: AgentJobType) => void;
  /** Ended jobs kept per cluster's queue (default DEFAULT_KEPT). */
  kept?: KeptJobs;
  /** Work whose last attempt failed is planned again only this long after (default 0: at once). */
  replanAfterFailureMs?: number;
  /** The clock the failure cool-down is measured on (stamped into ended jobs: BullMQ's own stamps are wall-clock). */
  clock?: { now(): number };
}

export function agentJobQueues(opts: AgentJobQueueOptions): AgentJobQueue & { close(): Promise<void> } {
  const { connection, prefix, leaseMs, maxAttempts, logger } = opts;
  const lanes = new Map<string, Lane>();
  const idleCloseMs = opts.idleCloseMs ?? 60_000;
  let closed = false;
  const keys = queueKeys(prefix, opts.hashTagQueues);
  const { holders: holdersKey, plans: plansKey, lock: lockKey } = laneKeys(keys);
  const jobOptions = plannedJobOptions(maxAttempts, opts.backoffMs, opts.kept ?? DEFAULT_KEPT);
  const replanAfterFailureMs = opts.replanAfterFailureMs ?? 0;
  const clockNow = () => (opts.clock ?? Date).now();

  async function laneOf(clusterId: string): Promise<Lane> {
    let lane = lanes.get(clusterId);
    if (!lane) {
      const { Queue } = await loadBullmq();
      lane = lanes.get(clusterId);
      if (!lane) {
        lane = { clusterId, queue: new Queue(agentJobQueueName(clusterId), { connection, prefix: keys.prefix(agentJobQueueName(clusterId)), streams: QUEUE_STREAMS }), waiters: [], pumping: false, lastUsed: Date.now(), pruneCursors: { holders: '0', plans: '0' } };
        lanes.set(clusterId, lane);
      }
    }
    return lane;
  }

  async function workerOf(lane: Lane): Promise<Worker> {
    if (lane.worker) return lane.worker;
    const { Worker } = await loadBullmq();
    const worker = new Worker(agentJobQueueName(lane.clusterId), null, {
      connection,
      prefix: keys.prefix(agentJobQueueName(lane.clusterId)),
      autorun: false,
      lockDuration: leaseMs,
      // Expired leases come back within about two of these.
      stalledInterval: Math.max(500, Math.floor(leaseMs / 2)),
      // Our attempt limit rules (checked at hand-out), not BullMQ's stall count.
      maxStalledCount: 1_000_000,
      drainDelay: opts.drainDelaySeconds ?? 5,
    });
    worker.on('error', (err) => logger.warn({ queue: worker.name, err: err.message }, 'agent-job worker error'));
    lane.worker = worker;
    await worker.startStalledCheckTimer();
    return worker;
  }

  const liveWaiter = (lane: Lane) => {
    while (lane.waiters.length > 0 && lane.waiters[0].done) lane.waiters.shift();
    return lane.waiters[0];
  };

  async function exhaust(job: Job, token: string) {
    const err = new Error(`lease expired on ${job.attemptsStarted - 1} of ${maxAttempts} attempts`);
    err.name = 'UnrecoverableError';
    await job.moveToFailed(err, token, false);
    await trimEnded(job, clockNow());
    opts.onExhausted?.(job.name as AgentJobType);
    logger.error({ queue: job.queueName, jobId: job.id, type: job.name, attempts: job.attemptsStarted - 1 }, 'agent job exhausted its attempts; it stays failed until planned again');
  }

  const liveCount = (lane: Lane) => lane.waiters.reduce((n, w) => n + (w.done ? 0 : 1), 0);

  /** Hands a fetched job to the longest-waiting poll, or back to the queue when none is left. */
  async function deliver(lane: Lane, job: Job, token: string): Promise<void> {
    if (job.attemptsStarted > maxAttempts) {
      await exhaust(job, token).catch((e) => logger.warn({ jobId: job.id, err: (e as Error).message }, 'could not fail an exhausted agent job'));
      return;
    }
    const w = liveWaiter(lane);
    if (!w) {
      // Every poll went away meanwhile: the job goes back for the next one.
      await job.moveToWait(token).catch(() => undefined);
      return;
    }
    // Claimed before any await: concurrent deliveries never pick the same poll.
    w.done = true;
    lane.waiters.shift();
    const data = job.data as AgentJobData;
    const lease: Lease = { jobId: job.id!, type: data.type, payload: data.payload, leaseToken: token, leaseExpiresAt: Date.now() + leaseMs, attempt: job.attemptsStarted, maxAttempts, data };
    try {
      // Recorded before the agent hears of it: a death declared from now on returns the job.
      await connection.hset(holdersKey(lane.clusterId), job.id!, `${w.agentId} ${token}`);
    } catch (e) {
      logger.warn({ jobId: job.id, err: (e as Error).message }, 'could not record a lease holder; the lease still expires on its own');
    }
    w.resolve(lease);
  }

  /**
   * The cluster's hand-out loop in this process, while polls wait: with several waiting, up to
   * 8 non-blocking fetches at once; with nothing to fetch, one blocking wait on the cluster's
   * own connection until a job is added (or BullMQ's drain delay passes).
   */
  async function pump(lane: Lane): Promise<void> {
    if (lane.pumping || closed) return;
    lane.pumping = true;
    try {
      const worker = await workerOf(lane);
      while (!closed && liveWaiter(lane)) {
        const tokens = Array.from({ length: Math.min(8, liveCount(lane)) }, () => randomUUID());
        let got: [Job, string][] = [];
        try {
          const jobs = await Promise.all(tokens.map((t) => worker.getNextJob(t, { block: false })));
          got = jobs.flatMap((j, i) => (j ? [[j, tokens[i]] as [Job, string]] : []));
          if (got.length === 0) {
            const token = randomUUID();
            const job = await worker.getNextJob(token, { block: true });
            if (job) got = [[job, token]];
          }
        } catch (e) {
          logger.warn({ queue: worker.name, err: (e as Error).message }, 'agent-job fetch failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        await Promise.all(got.map(([job, token]) => deliver(lane, job, token)));
      }
    } catch (e) {
      logger.warn({ cluster: lane.clusterId, err: (e as Error).message }, 'agent-job pump stopped');
    } finally {
      lane.pumping = false;
      lane.lastUsed = Date.now();
      if (!closed && liveWaiter(lane)) void pump(lane);
    }
  }

  // Idle clusters give their blocking connection back.
  const idle = setInterval(() => {
    const now = Date.now();
    for (const lane of lanes.values()) {
      if (lane.worker && !lane.pumping && !liveWaiter(lane) && now - lane.lastUsed > idleCloseMs) {
        const w = lane.worker;
        lane.worker = undefined;
        void w.close().catch(() => undefined);
      }
    }
  }, Math.min(idleCloseMs, 30_000));
  idle.unref();

  async function jobOf(clusterId: string, jobId: string): Promise<Job | undefined> {
    return (await (await laneOf(clusterId)).queue.getJob(jobId)) ?? undefined;
  }

  const views = agentJobViews({ connection, keys, maxAttempts, laneOf });

  return {
    async plan(data, planOpts) {
      const lane = await laneOf(data.clusterId);
      const n = Number((await connection.hget(plansKey(data.clusterId), data.workItem)) ?? 0);
      let id = jobIdOf(data.workItem, n);
      let outcome: Planned = 'added';
      const existing = await lane.queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (PENDING.has(state) || planOpts?.once) return { outcome: 'pending', jobId: id };
        if (state === 'failed' && replanAfterFailureMs > 0 && clockNow() < endedAtOf(existing) + replanAfterFailureMs) return { outcome: 'deferred', jobId: id };
        // Ended (completed or failed, kept for the views): the same work again is a new attempt.
        const next = await connection.hincrby(plansKey(data.clusterId), data.workItem, 1);
        id = jobIdOf(data.workItem, next);
        outcome = 'readded';
        // One ended attempt per work item stays (the latest, for the views), not one per pass;
        // and an id left from before its counter was pruned is freed for this attempt.
        if (next >= 2) await removeEnded(lane.queue, jobIdOf(data.workItem, next - 2));
        await removeEnded(lane.queue, id);
      }
      const added = await lane.queue.add(data.type, data, { ...jobOptions, jobId: id });
      // BullMQ ignores an add for an id it holds: check that the job under the id is this one.
      const now = await lane.queue.getJob(id);
      if (now?.timestamp !== added.timestamp) return { outcome: 'pending', jobId: id };
      return { outcome, jobId: id };
    },

    async take(clusterId, agentId, waitMs, signal) {
      const lane = await laneOf(clusterId);
      lane.lastUsed = Date.now();
      return new Promise<Lease | undefined>((resolve) => {
        const w: Waiter = {
          agentId,
          done: false,
          resolve: (lease) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', giveUp);
            resolve(lease);
          },
        };
        const giveUp = () => {
          if (w.done) return;
          w.done = true;
          w.resolve(undefined);
        };
        const timer = setTimeout(giveUp, waitMs);
        signal?.addEventListener('abort', giveUp, { once: true });
        lane.waiters.push(w);
        void pump(lane);
      });
    },

    async held(clusterId, jobId, token): Promise<HeldJob | undefined> {
      if ((await connection.get(lockKey(clusterId, jobId))) !== token) return undefined;
      const job = await jobOf(clusterId, jobId);
      // Ended meanwhile (its payload trimmed): no longer held.
      if (!job || !('payload' in job.data)) return undefined;
      const holder = await connection.hget(holdersKey(clusterId), jobId);
      return { data: job.data as AgentJobData, agentId: holder ? holder.split(' ')[0] : null };
    },

    async extend(clusterId, jobId, token) {
      const job = await jobOf(clusterId, jobId);
      if (!job) return undefined;
      const ok = await job.extendLock(token, leaseMs);
      return ok ? { leaseExpiresAt: Date.now() + leaseMs } : undefined;
    },

    async complete(clusterId, jobId, token, outcome) {
      const job = await jobOf(clusterId, jobId);
      if (!job) return false;
      try {
        await job.moveToCompleted(outcome, token, false);
      } catch {
        return false;
      }
      await trimEnded(job, clockNow());
      const holder = await connection.hget(holdersKey(clusterId), jobId);
      if (holder) await connection.hset(holdersKey(clusterId), jobId, holder.split(' ')[0]);
      return true;
    },

    async fail(clusterId, jobId, token, error, retryable) {
      const job = await jobOf(clusterId, jobId);
      if (!job) return undefined;
      const err = new Error(error);
      if (!retryable) err.name = 'UnrecoverableError';
      try {
        await job.moveToFailed(err, token, false);
      } catch {
        return undefined;
      }
      const holder = await connection.hget(holdersKey(clusterId), jobId);
      if (holder) await connection.hset(holdersKey(clusterId), jobId, holder.split(' ')[0]);
      const state = await job.getState();
      if (state === 'failed') {
        await trimEnded(job, clockNow());
        const exhausted = retryable;
        if (exhausted) opts.onExhausted?.(job.name as AgentJobType);
        return { state: 'failed', exhausted };
      }
      return { state: 'retrying', exhausted: false };
    },

    async prune(clusterId, limit) {
      const lane = await laneOf(clusterId);
      let pruned = 0;
      let seen = 0;
      const cursors = lane.pruneCursors;
      // Holders: one entry per job id; gone once BullMQ removed the job (removeOnComplete/Fail).
      const [holdersNext, holders] = await connection.hscan(holdersKey(clusterId), cursors.holders, 'COUNT', Math.max(10, limit));
      cursors.holders = holdersNext;
      for (let i = 0; i < holders.length && seen < limit; i += 2, seen++) {
        if (!(await lane.queue.getJob(holders[i]))) pruned += await connection.hdel(holdersKey(clusterId), holders[i]);
      }
      // Attempt counters: one per re-planned work item, dropped once BullMQ keeps neither of the
      // attempts plan() leaves (the latest two). An older id still kept is freed by plan() if
      // the restarted count reaches it.
      const [plansNext, plans] = await connection.hscan(plansKey(clusterId), cursors.plans, 'COUNT', Math.max(10, limit));
      cursors.plans = plansNext;
      for (let i = 0; i < plans.length && seen < limit; i += 2, seen++) {
        const last = Number(plans[i + 1]);
        const kept = (await lane.queue.getJob(jobIdOf(plans[i], last))) || (last > 0 && (await lane.queue.getJob(jobIdOf(plans[i], last - 1))));
        if (!kept) pruned += await connection.hdel(plansKey(clusterId), plans[i]);
      }
      return pruned;
    },

    async releaseAgent(clusterId, agentId) {
      const holders = await connection.hgetall(holdersKey(clusterId));
      let released = 0;
      for (const [jobId, holder] of Object.entries(holders)) {
        const [owner, token] = holder.split(' ');
        if (owner !== agentId || !token) continue;
        const job = await jobOf(clusterId, jobId);
        if (job && (await connection.get(lockKey(clusterId, jobId))) === token) {
          try {
            await job.moveToWait(token);
            released++;
          } catch {
            // Completed or expired meanwhile.
          }
        }
        await connection.hset(holdersKey(clusterId), jobId, owner);
      }
      return released;
    },

    ...views,

    polls() {
      let waiting = 0;
      let connections = 0;
      for (const lane of lanes.values()) {
        waiting += liveCount(lane);
        if (lane.worker) connections++;
      }
      return { waiting, connections };
    },

    async close() {
      closed = true;
      clearInterval(idle);
      for (const lane of lanes.values()) for (const w of lane.waiters.splice(0)) if (!w.done) ((w.done = true), w.resolve(undefined));
      await Promise.all([...lanes.values()].map(async (l) => {
        await l.worker?.close(true).catch(() => undefined);
        await l.queue.close().catch(() => undefined);
      }));
      lanes.clear();
    },
  };
}
