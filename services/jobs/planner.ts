import type { Logger } from '../../shared/logger';
import type { DueFile, DueFilesPage } from '../metadata/file-lifecycle';
import type { CompactionCandidate, CompactionSettings } from '../metadata/job-reads';
import type { ClusterRef } from '../metadata/types';
import type { AgentJobData } from './model';
import type { AgentJobQueue, Planned } from './queue-port';

/**
 * The planners: from a cluster's metadata, the work agents should do, as jobs under
 * deterministic ids (one work item, one job while it is pending; ended work planned again is
 * a new attempt). Each pass is bounded: so many due files, compaction runs, re-replications.
 *
 * - deletion: due files (marked, past their grace period), in groups from the head of the
 *   mark order, so that a group's id (its first file) is stable while it waits;
 * - compaction: per partition, one run of adjacent small-file batches at a time;
 * - re-replication: each reported missing replica;
 * - orphan scan: per region, once per `orphanScanEveryMs`.
 */
export interface PlannerSettings {
  compaction: CompactionSettings;
  deleteGroupSize: number;
  maxDeleteFilesPerPass: number;
  maxCompactionsPerPass: number;
  maxReplicationsPerPass: number;
  orphanScanEveryMs: number;
  orphanGraceMs: number;
  orphanMaxKeys: number;
  /** Bookkeeping entries of removed jobs checked per pass (see AgentJobQueue.prune). */
  maxPrunedPerPass?: number;
}

export const DEFAULT_PLANNER: Omit<PlannerSettings, 'compaction'> = {
  deleteGroupSize: 100,
  maxDeleteFilesPerPass: 50_000,
  maxCompactionsPerPass: 50,
  maxReplicationsPerPass: 200,
  orphanScanEveryMs: 3_600_000,
  orphanGraceMs: 3_600_000,
  orphanMaxKeys: 10_000,
};

/** The listing's largest page (file-lifecycle.ts MAX_DUE_FILES_PAGE). */
const DUE_FILES_PAGE = 1000;

/**
 * Up to `max` due files, in mark order, read page by page: one page a pass (1,000 files every
 * 30 s) fell behind any cluster committing more than ~33 files a second, and the files marked
 * for deletion then grew with history. Pages are whole multiples of the group size, so that the
 * groups (and the work items named after their first file) come out the same in every pass.
 */
export async function dueFilesForPass(list: (opts: { limit: number; after: string | null }) => Promise<DueFilesPage>, max: number, groupSize: number): Promise<DueFile[]> {
  const page = Math.max(1, DUE_FILES_PAGE - (groupSize <= DUE_FILES_PAGE ? DUE_FILES_PAGE % groupSize : 0));
  const out: DueFile[] = [];
  let after: string | null = null;
  while (out.length < max) {
    const got: DueFilesPage = await list({ limit: Math.min(page, max - out.length), after });
    out.push(...got.items);
    if (!got.nextCursor || got.items.length === 0) break;
    after = got.nextCursor;
  }
  return out;
}

export interface PlannerMetadata {
  listDueFiles(cluster: ClusterRef, opts: { limit?: number; after?: string | null }): Promise<DueFilesPage>;
  compactionCandidates(cluster: ClusterRef, settings: CompactionSettings, limit: number): Promise<CompactionCandidate[]>;
  underReplicatedFiles(cluster: ClusterRef, limit?: number): Promise<{ fileId: string; objectKey: string; sizeBytes: number; missingRegions: string[]; replicas: { region: string; bucket: string; checksum: string }[] }[]>;
}

export type PassCounts = Record<AgentJobData['type'], Record<Planned, number>>;

export function agentJobPlanner(deps: { queue: AgentJobQueue; metadata: PlannerMetadata; clock: { now(): number }; settings: PlannerSettings; logger?: Logger }) {
  const { queue, metadata, settings: s } = deps;

  return async function planCluster(cluster: ClusterRef): Promise<PassCounts> {
    const counts: PassCounts = {
      compaction: { added: 0, pending: 0, readded: 0, deferred: 0 },
      'delete-files': { added: 0, pending: 0, readded: 0, deferred: 0 },
      'orphan-scan': { added: 0, pending: 0, readded: 0, deferred: 0 },
      replicate: { added: 0, pending: 0, readded: 0, deferred: 0 },
    };
    const base = { tenantId: cluster.tenantId, clusterId: cluster.clusterId };
    const add = async (data: AgentJobData, once = false) => counts[data.type][(await queue.plan(data, { once })).outcome]++;

    // Deletion: due files in mark order, page after page up to the pass's bound.
    const due = await dueFilesForPass((opts) => metadata.listDueFiles(cluster, opts), s.maxDeleteFilesPerPass, s.deleteGroupSize);
    for (let i = 0; i < due.length; i += s.deleteGroupSize) {
      const group = due.slice(i, i + s.deleteGroupSize);
      await add({
        ...base,
        workItem: `delete:${group[0].fileId}`,
        type: 'delete-files',
        payload: { source: 'lifecycle', objects: group.map((f) => ({ fileId: f.fileId, objectKey: f.objectKey, locations: f.replicas.map((r) => ({ region: r.region, bucket: r.bucket })) })) },
      });
    }

    // Compaction: one run per partition at a time.
    for (const c of await metadata.compactionCandidates(cluster, s.compaction, s.maxCompactionsPerPass)) {
      await add({
        ...base,
        workItem: `compact:${c.topicId}:${c.partition}`,
        type: 'compaction',
        payload: {
          topic: c.topic,
          partition: c.partition,
          batches: c.batches,
          sources: c.files.map((f) => ({ fileId: f.fileId, objectKey: f.objectKey, locations: f.replicas.map((r) => ({ region: r.region, bucket: r.bucket })) })),
          targets: cluster.buckets.map((b) => ({ region: b.region, bucket: b.url })),
        },
      });
    }

    // Re-replication: each missing replica of a live file.
    let replications = 0;
    for (const f of await metadata.underReplicatedFiles(cluster, s.maxReplicationsPerPass)) {
      for (const region of f.missingRegions) {
        const bucket = cluster.buckets.find((b) => b.region === region)?.url;
        if (!bucket || f.replicas.length === 0 || replications++ >= s.maxReplicationsPerPass) continue;
        await add({
          ...base,
          workItem: `replicate:${f.fileId}:${region}`,
          type: 'replicate',
          payload: { fileId: f.fileId, objectKey: f.objectKey, sizeBytes: f.sizeBytes, checksum: f.replicas[0].checksum, target: { region, bucket }, sources: f.replicas.map((r) => ({ region: r.region, bucket: r.bucket })) },
        });
      }
    }

    // Orphan scans: per region, once per period (the period is the work item).
    const now = deps.clock.now();
    const period = Math.floor(now / s.orphanScanEveryMs);
    for (const b of cluster.buckets) {
      await add({
        ...base,
        workItem: `orphan-scan:${b.region}:${period}`,
        type: 'orphan-scan',
        payload: { region: b.region, bucket: b.url, olderThanMs: now - s.orphanGraceMs, maxKeys: s.orphanMaxKeys },
      }, true);
    }
    // Bookkeeping of jobs BullMQ has since removed goes too, a bounded slice per pass.
    await queue.prune(cluster.clusterId, s.maxPrunedPerPass ?? 200);
    return counts;
  };
}
export type AgentJobPlanner = ReturnType<typeof agentJobPlanner>;
