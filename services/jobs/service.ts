import { createHash } from 'node:crypto';
import type { CursorCodec } from '../../shared/cursor';
import { badRequest, conflict, forbidden, notFound } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { ClusterRef } from '../metadata/types';
import type { CompactionAnswer } from '../metadata/compaction';
import type { JobNeed } from '../metadata/job-reads';
import type { FilesDeletedResult } from '../metadata/file-lifecycle';
import type { ReplicaRestoredInput, ReplicaRestoredResult } from '../metadata/replication';
import type { AgentJobData, AgentJobState, AgentJobType, JobOutcome, JobView, Lease } from './model';
import type { AgentJobQueue } from './queue-port';

/**
 * The agent side of the jobs: poll (a lease), heartbeat (extend, or `cancelled` when the work
 * became moot), complete (the result is validated and applied to the metadata before the job
 * ends), fail. Every call after the poll presents the lease token; a token that does not hold
 * the job's lease right now is a 409 and changes nothing.
 */
export interface JobsMetadata {
  applyCompaction(cluster: ClusterRef, result: unknown): Promise<CompactionAnswer>;
  recordReplicaRestored(cluster: ClusterRef, input: ReplicaRestoredInput): Promise<ReplicaRestoredResult>;
  recordFilesDeleted(cluster: ClusterRef, fileIds: string[]): Promise<FilesDeletedResult>;
  unknownObjectKeys(cluster: ClusterRef, keys: string[]): Promise<string[]>;
  jobStillNeeded(cluster: ClusterRef, need: JobNeed): Promise<boolean>;
}

export interface AgentJobsDeps {
  queue: AgentJobQueue;
  metadata: JobsMetadata;
  clusterAccess(tenantId: string, clusterId: string): Promise<ClusterRef>;
  /** The agent's registration as heartbeats keep it; undefined when not registered. */
  agentInfo(clusterId: string, agentId: string): Promise<{ roles: string[]; state: string } | undefined>;
  cursors: CursorCodec;
  logger: Logger;
  /** Keys younger than this are never orphans (a commit may still name them). */
  orphanGraceMs: number;
  onOutcome?(type: AgentJobType, outcome: JobOutcome): void;
}

export interface AgentCaller {
  tenantId: string;
  clusterId: string;
  access: string;
}

export const MAX_POLL_WAIT_MS = 20_000;
const ORPHAN_DELETE_GROUP = 100;

const stale = () => conflict('stale_lease', 'This lease token does not hold the job (it expired, was released, or the job ended); nothing changed.');

/** What a job's moot check looks at; undefined for work that is never moot. */
export function needOf(data: AgentJobData): JobNeed | undefined {
  switch (data.type) {
    case 'delete-files':
      return data.payload.source === 'lifecycle' ? { type: 'delete-files', fileIds: data.payload.objects.map((o) => o.fileId!).filter(Boolean) } : undefined;
    case 'compaction':
      return { type: 'compaction', topic: data.payload.topic, partition: data.payload.partition, batches: data.payload.batches.map((b) => ({ baseOffset: b.baseOffset, fileId: b.fileId, byteOffset: b.byteOffset })) };
    case 'replicate':
      return { type: 'replicate', fileId: data.payload.fileId, region: data.payload.target.region };
    case 'orphan-scan':
      return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function agentJobsService(deps: AgentJobsDeps) {
  const { queue, metadata } = deps;
  const outcome = (type: AgentJobType, o: JobOutcome) => deps.onOutcome?.(type, o);

  async function heldBy(caller: AgentCaller, jobId: string, token: string) {
    const held = await queue.held(caller.clusterId, jobId, token);
    // A job of another tenant's cluster cannot be held with this cluster's path: ids are per queue.
    if (!held || held.data.tenantId !== caller.tenantId || held.data.clusterId !== caller.clusterId) throw stale();
    return held;
  }

  /** Applies a result to the metadata; what the job's record keeps of it. */
  async function apply(cluster: ClusterRef, data: AgentJobData, result: unknown): Promise<{ outcome: 'completed' | 'refused'; record: Record<string, unknown>; answer: Record<string, unknown> }> {
    if (!isObject(result)) throw badRequest('invalid_result', 'result must be an object.', { field: 'result' });
    switch (data.type) {
      case 'delete-files': {
        const reported = result.deleted;
        if (!Array.isArray(reported) || reported.some((k) => typeof k !== 'string')) {
          throw badRequest('invalid_result', 'A delete-files result lists the object keys deleted (or found gone) in `deleted`.', { field: 'result.deleted' });
        }
        const done = new Set(reported as string[]);
        const planned = data.payload.objects;
        if ([...done].some((k) => !planned.some((o) => o.objectKey === k))) throw badRequest('invalid_result', 'The result names an object the job did not.', { field: 'result.deleted' });
        const fileIds = planned.filter((o) => o.fileId && done.has(o.objectKey)).map((o) => o.fileId!);
        const files = fileIds.length > 0 ? (await metadata.recordFilesDeleted(cluster, fileIds)).files : [];
        return { outcome: 'completed', record: { outcome: 'completed', deleted: done.size }, answer: { deleted: done.size, files } };
      }
      case 'compaction': {
        const answer = await metadata.applyCompaction(cluster, result);
        return { outcome: answer.outcome === 'applied' ? 'completed' : 'refused', record: { outcome: answer.outcome === 'applied' ? 'completed' : 'refused', reason: answer.reason ?? null }, answer: { ...answer } };
      }
      case 'replicate': {
        if (typeof result.checksum !== 'string') throw badRequest('invalid_result', 'A replicate result gives the checksum of the copy written.', { field: 'result.checksum' });
        const p = data.payload;
        const answer = await metadata.recordReplicaRestored(cluster, { fileId: p.fileId, region: p.target.region, bucket: p.target.bucket, checksum: result.checksum });
        return { outcome: 'completed', record: { outcome: answer.outcome === 'restored' ? 'completed' : 'not_needed' }, answer: { ...answer } };
      }
      case 'orphan-scan': {
        const objects = result.objects;
        if (!Array.isArray(objects) || objects.length > 10_000 || objects.some((o) => !isObject(o) || typeof o.objectKey !== 'string' || !Number.isSafeInteger(o.lastModifiedMs))) {
          throw badRequest('invalid_result', 'An orphan-scan result lists `objects` ({ objectKey, lastModifiedMs }), at most 10,000.', { field: 'result.objects' });
        }
        // Only keys older than the scan's bound, and known to no record, are orphans.
        const old = (objects as { objectKey: string; lastModifiedMs: number }[]).filter((o) => o.lastModifiedMs < data.payload.olderThanMs).map((o) => o.objectKey);
        const orphans = old.length > 0 ? await metadata.unknownObjectKeys(cluster, old) : [];
        const location = { region: data.payload.region, bucket: data.payload.bucket };
        let planned = 0;
        for (let i = 0; i < orphans.length; i += ORPHAN_DELETE_GROUP) {
          const group = orphans.slice(i, i + ORPHAN_DELETE_GROUP).sort();
          const workItem = `orphans:${location.region}:${createHash('sha256').update(group.join('\n')).digest('base64url')}`;
          await queue.plan({ tenantId: data.tenantId, clusterId: data.clusterId, workItem, type: 'delete-files', payload: { source: 'orphan', objects: group.map((objectKey) => ({ objectKey, locations: [location] })) } });
          planned++;
        }
        return { outcome: 'completed', record: { outcome: 'completed', listed: objects.length, orphans: orphans.length }, answer: { listed: objects.length, orphans: orphans.length, deleteJobs: planned } };
      }
    }
  }

  return {
    /** A lease on the next job, waiting up to `waitMs`; undefined when none came. */
    async poll(caller: AgentCaller, agentId: string, waitMs: number, signal?: AbortSignal): Promise<Omit<Lease, 'data'> | undefined> {
      if (caller.access !== 'read-write') throw forbidden('read_only_agent', 'This agent key is read-only; jobs change the bucket and need read-write.');
      await deps.clusterAccess(caller.tenantId, caller.clusterId);
      const info = await deps.agentInfo(caller.clusterId, agentId);
      if (!info) throw notFound('agent_not_registered', `Agent ${agentId} is not registered; register it first.`);
      if (info.state === 'dead' || info.state === 'deregistered') throw conflict('agent_not_live', `Agent ${agentId} is ${info.state}; register it again.`);
      if (!info.roles.includes('jobs')) throw forbidden('missing_role', `Agent ${agentId} did not register with the "jobs" role.`);
      const lease = await queue.take(caller.clusterId, agentId, Math.min(Math.max(waitMs, 0), MAX_POLL_WAIT_MS), signal);
      if (!lease) return undefined;
      const { data: _data, ...out } = lease;
      return out;
    },

    async heartbeat(caller: AgentCaller, jobId: string, token: string): Promise<{ status: 'extended'; leaseExpiresAt: number } | { status: 'cancelled' }> {
      const held = await heldBy(caller, jobId, token);
      const need = needOf(held.data);
      if (need) {
        const cluster = await deps.clusterAccess(caller.tenantId, caller.clusterId);
        if (!(await metadata.jobStillNeeded(cluster, need))) {
          if (await queue.complete(caller.clusterId, jobId, token, { outcome: 'cancelled' })) {
            outcome(held.data.type, 'cancelled');
            return { status: 'cancelled' };
          }
          throw stale();
        }
      }
      const ext = await queue.extend(caller.clusterId, jobId, token);
      if (!ext) throw stale();
      return { status: 'extended', leaseExpiresAt: ext.leaseExpiresAt };
    },

    async complete(caller: AgentCaller, jobId: string, token: string, result: unknown) {
      const held = await heldBy(caller, jobId, token);
      const cluster = await deps.clusterAccess(caller.tenantId, caller.clusterId);
      const applied = await apply(cluster, held.data, result);
      // The metadata change is idempotent: a lease lost meanwhile only means the job runs again, and its result is refused or a no-op.
      if (!(await queue.complete(caller.clusterId, jobId, token, applied.record))) throw stale();
      outcome(held.data.type, applied.outcome);
      return { jobId, outcome: applied.outcome, result: applied.answer };
    },

    async fail(caller: AgentCaller, jobId: string, token: string, error: string, retryable: boolean) {
      const held = await heldBy(caller, jobId, token);
      const r = await queue.fail(caller.clusterId, jobId, token, error, retryable);
      if (!r) throw stale();
      outcome(held.data.type, r.state === 'retrying' ? 'retrying' : r.exhausted ? 'exhausted' : 'failed');
      return { jobId, state: r.state, exhausted: r.exhausted };
    },

    /** Polls waiting in this process (metrics). */
    polls: () => queue.polls(),

    /** Liveness declared the agent dead: its leases return to waiting at once. */
    async releaseAgent(clusterId: string, agentId: string): Promise<number> {
      return queue.releaseAgent(clusterId, agentId);
    },

    /** The customer's view: the cluster's jobs, by state, paginated. */
    async list(tenantId: string, clusterId: string, opts: { state?: AgentJobState; limit: number; cursor?: string }): Promise<{ items: JobView[]; nextCursor: string | null }> {
      await deps.clusterAccess(tenantId, clusterId);
      const scope = `T#${tenantId}:jobs:${clusterId}:${opts.state ?? '*'}`;
      const offset = Number(deps.cursors.decode(scope, opts.cursor)?.offset ?? 0);
      if (!Number.isSafeInteger(offset) || offset < 0) throw badRequest('invalid_cursor', 'The cursor is malformed or does not belong to this list.');
      const page = await queue.list(clusterId, { state: opts.state, offset, limit: opts.limit });
      const next = offset + page.items.length;
      return { items: page.items, nextCursor: page.items.length === opts.limit && next < page.total ? (deps.cursors.encode(scope, { offset: next }) ?? null) : null };
    },

    async get(tenantId: string, clusterId: string, jobId: string): Promise<JobView> {
      await deps.clusterAccess(tenantId, clusterId);
      const job = await queue.get(clusterId, jobId);
      if (!job) throw notFound('job_not_found', `Job ${jobId} does not exist.`);
      return job;
    },
  };
}
export type AgentJobsService = ReturnType<typeof agentJobsService>;
