import { unavailable } from '../../shared/errors';
import { buildContext, type MetadataServiceDeps } from './context';
import type { WriteAnswers, WriteRequest } from './core';
import { clusterPk } from './keys';
import { Sequencer, type StopHandler } from './sequencer';
import type { ReplicaMissingInput, ReplicaMissingResult, ReplicaRestoredInput, ReplicaRestoredResult } from './replication';
import { validateCompactionResult, type CompactionAnswer } from './compaction';
import { compactionCandidates, fileFootprint, stillNeeded, unknownObjectKeys, type CompactionCandidate, type CompactionSettings, type JobNeed } from './job-reads';
import { logCalls } from './service-log';
import { encodeState } from './state-codec';
import type {
  ClusterRef,
  CommitFileInput,
  CommitFileResult,
  CreateTopicInput,
  FetchPlanInput,
  FetchPlanResult,
  ListOffsetsInput,
  ListOffsetsResult,
  TopicConfigInput,
  TopicDescription,
  TopicSummary,
  UpdateTopicInput,
} from './types';
import { validateCommit } from './validate-commit';
import { validateFetchPlan, validateListOffsets } from './validate-reads';

export type { MetadataServiceDeps } from './context';

/**
 * The per-cluster metadata sequencers of this node. A cluster is led on first use: the node
 * takes its lease (or answers a retryable 503 `not_leader` naming the leader's address while
 * another node holds a live lease), recovers its state and serves it until it loses the lease,
 * hits a store fault (then it reloads on the next request), is dropped or closed.
 */
export function metadataService(deps: MetadataServiceDeps) {
  const ctx = buildContext(deps);
  const sequencers = new Map<string, Sequencer>();
  let lifecycle: 'open' | 'closing' | 'closed' | 'halted' = 'open';

  // Tests only: a crash stops everything at once and leaves the leases to expire.
  deps.hooks?.attach({
    crash() {
      lifecycle = 'halted';
      for (const s of sequencers.values()) s.halt();
      sequencers.clear();
    },
  });

  const onStop: StopHandler = (stopped, leftovers, reason) => {
    if (sequencers.get(stopped.pk) === stopped) sequencers.delete(stopped.pk);
    if (leftovers.length === 0) return;
    if (lifecycle !== 'open') {
      for (const p of leftovers) p.reject(reason);
      return;
    }
    // After a store fault the queued requests wait for a fresh start (reload, fence) instead of failing.
    sequencerOf(stopped.pk, stopped.regions, stopped.journal.stripes).adopt(leftovers);
  };

  function sequencerOf(pk: string, regions: readonly string[], stripes: number | undefined): Sequencer {
    let s = sequencers.get(pk);
    if (!s) {
      s = new Sequencer(ctx, pk, onStop, regions, stripes);
      sequencers.set(pk, s);
    }
    return s;
  }

  function sequencerFor(cluster: ClusterRef): Sequencer {
    if (lifecycle !== 'open') throw unavailable('shutting_down', 'The metadata node is shutting down; retry.');
    // A node that does not lead the cluster reads the lease on every call: one small read,
    // and never a stale redirect after the leader moved.
    return sequencerOf(clusterPk(cluster.tenantId, cluster.clusterId), cluster.regions, cluster.journalStripes);
  }

  async function write<K extends WriteRequest['kind']>(req: Extract<WriteRequest, { kind: K }>): Promise<WriteAnswers[K]> {
    return (await sequencerFor(req.cluster).write(req)) as WriteAnswers[K];
  }

  /** Validates, then queues the commit on the cluster's sequencer before its first await. */
  async function commitOne(cluster: ClusterRef, input: CommitFileInput): Promise<CommitFileResult> {
    return write({ kind: 'commitFile', cluster, commit: validateCommit(input, cluster) });
  }

  return {
    ...logCalls({ sequencerFor, write, clock: ctx.clock, log: ctx.log }),

    async createTopic(cluster: ClusterRef, input: CreateTopicInput): Promise<TopicDescription> {
      return write({ kind: 'createTopic', cluster, input });
    },

    async listTopics(cluster: ClusterRef): Promise<TopicSummary[]> {
      return sequencerFor(cluster).read((core) => core.listTopics());
    },

    async describeTopic(cluster: ClusterRef, name: string): Promise<TopicDescription> {
      return sequencerFor(cluster).read((core) => core.describeTopic(name));
    },

    /** Adds partitions and/or replaces config keys, atomically. */
    async updateTopic(cluster: ClusterRef, name: string, input: UpdateTopicInput): Promise<TopicDescription> {
      return write({ kind: 'updateTopic', cluster, name, input });
    },

    async addPartitions(cluster: ClusterRef, name: string, partitions: number): Promise<TopicDescription> {
      return write({ kind: 'updateTopic', cluster, name, input: { partitions } });
    },

    async alterTopicConfig(cluster: ClusterRef, name: string, config: TopicConfigInput): Promise<TopicDescription> {
      return write({ kind: 'updateTopic', cluster, name, input: { config } });
    },

    async deleteTopic(cluster: ClusterRef, name: string): Promise<TopicSummary> {
      return write({ kind: 'deleteTopic', cluster, name });
    },

    async commitFile(cluster: ClusterRef, input: CommitFileInput): Promise<CommitFileResult> {
      return commitOne(cluster, input);
    },

    /**
     * Several files, committed as if one after another: each enters the cluster's queue in
     * request order (so one journal append usually carries them all) and settles on its own, so
     * that a file refused on its merits does not hold back the others.
     */
    async commitFiles(cluster: ClusterRef, inputs: CommitFileInput[]): Promise<PromiseSettledResult<CommitFileResult>[]> {
      // commitOne queues synchronously (its validation throws into its own promise): request order holds.
      return Promise.allSettled(inputs.map((input) => commitOne(cluster, input)));
    },

    async fetchPlan(cluster: ClusterRef, input: FetchPlanInput): Promise<FetchPlanResult> {
      const valid = validateFetchPlan(input);
      // Batches below the high watermark never change; an answer with nothing to read (at the
      // tail, out of range, unknown) is only true if this node still leads: confirm it.
      return sequencerFor(cluster).readFresh(
        (core) => core.fetchPlan(valid),
        (plan) => plan.partitions.some((p) => p.batches.length === 0),
      );
    },

    async listOffsets(cluster: ClusterRef, input: ListOffsetsInput): Promise<ListOffsetsResult> {
      const valid = validateListOffsets(input);
      return sequencerFor(cluster).readFresh((core) => core.listOffsets(valid));
    },

    /** An agent could not read a listed replica of a file: recorded, the file is due for re-replication. */
    async reportReplicaMissing(cluster: ClusterRef, fileId: string, input: ReplicaMissingInput): Promise<ReplicaMissingResult> {
      return write({ kind: 'replicaMissing', cluster, fileId, input });
    },

    /** A compaction job's result: swapped in when it exactly covers live inputs, else refused (the new file is marked). */
    async applyCompaction(cluster: ClusterRef, result: unknown): Promise<CompactionAnswer> {
      return write({ kind: 'compactionResult', cluster, result: validateCompactionResult(result, cluster) });
    },

    /** A re-replication job restored a missing replica. */
    async recordReplicaRestored(cluster: ClusterRef, input: ReplicaRestoredInput): Promise<ReplicaRestoredResult> {
      return write({ kind: 'replicaRestored', cluster, input });
    },

    /** Runs of small files worth compacting (the compaction planner). */
    async compactionCandidates(cluster: ClusterRef, settings: CompactionSettings, limit: number, skip?: (topicId: string, partition: number) => boolean): Promise<CompactionCandidate[]> {
      return sequencerFor(cluster).read((core) => compactionCandidates(core.state, settings, limit, skip));
    },

    /** Object keys no file record names (orphan scans). */
    async unknownObjectKeys(cluster: ClusterRef, keys: string[]): Promise<string[]> {
      return sequencerFor(cluster).read((core) => unknownObjectKeys(core.state, keys));
    },

    /** Whether a planned job's work is still wanted. */
    async jobStillNeeded(cluster: ClusterRef, need: JobNeed): Promise<boolean> {
      return sequencerFor(cluster).read((core) => stillNeeded(core.state, need));
    },

    /** File counts of the cluster's state (benchmarks, diagnostics). */
    async fileFootprint(cluster: ClusterRef) {
      return sequencerFor(cluster).read((core) => fileFootprint(core.state));
    },

    /** Files with replicas reported missing, oldest first (what re-replication works through). */
    async underReplicatedFiles(cluster: ClusterRef, limit = 100) {
      return sequencerFor(cluster).read((core) => core.underReplicated(limit));
    },

    /** The cluster's state in its canonical encoding (diagnostics, tests). */
    async exportState(cluster: ClusterRef): Promise<Uint8Array> {
      return sequencerFor(cluster).read((core) => encodeState(core.state));
    },

    /** Writes a snapshot now; resolves with the journal sequence number it includes. */
    async snapshotNow(cluster: ClusterRef): Promise<number> {
      return sequencerFor(cluster).snapshotNow();
    },

    /**
     * For usage metering: per cluster this node serves, the live files' bytes and the
     * partitions. Clusters that are starting or stopping are left out (their leader samples them).
     */
    async usageSample(): Promise<{ tenantId: string; clusterId: string; liveBytes: number; partitions: number }[]> {
      const out: { tenantId: string; clusterId: string; liveBytes: number; partitions: number }[] = [];
      for (const s of [...sequencers.values()]) {
        if (s.status.phase !== 'serving') continue;
        const [, tenantId, , clusterId] = s.pk.split('#');
        try {
          out.push({ tenantId, clusterId, ...(await s.read((core) => ({ liveBytes: core.state.files.liveBytes, partitions: core.state.totalPartitions }))) });
        } catch {
          // Lost the lease meanwhile: its next leader samples it.
        }
      }
      return out;
    },

    /** Clusters this node currently leads or is starting to lead. */
    status() {
      return [...sequencers.values()].map((s) => ({ cluster: s.pk, ...s.status }));
    },

    /** Unloads a cluster (deleted): answers what is queued, then releases its lease. */
    async dropCluster(tenantId: string, clusterId: string): Promise<void> {
      const pk = clusterPk(tenantId, clusterId);
      const s = sequencers.get(pk);
      sequencers.delete(pk);
      await s?.close();
    },

    /** Graceful shutdown: drains every cluster and releases the leases. */
    async close(): Promise<void> {
      if (lifecycle !== 'open') return;
      lifecycle = 'closing';
      await Promise.all([...sequencers.values()].map((s) => s.close()));
      sequencers.clear();
      lifecycle = 'closed';
    },
  };
}
export type MetadataService = ReturnType<typeof metadataService>;

