import type { ClusterCore, WriteAnswers, WriteRequest } from './core';
import { fileCounts, listDueFiles, type DueFilesPage, type FileCounts, type FilesDeletedResult } from './file-lifecycle';
import { fetchOffsets, validateCommitOffsets, validateGroupId } from './group-offsets';
import { validateHeartbeat, validateJoin, validateLeave, validateSync, type JoinResult, type LeaveResult, type SyncResult } from './group-protocol';
import { describeGroup, listGroups, type GroupDescription, type GroupList } from './group-views';
import { validateDeleteRecords } from './log-start';
import { clusterPk } from './keys';
import type { LogRuntime } from './log-settings';
import type { ClusterStats } from './stats-store';
import type { Sequencer } from './sequencer';
import type {
  ClusterRef,
  CommitOffsetsInput,
  CommitOffsetsResult,
  DeleteRecordsInput,
  DeleteRecordsResult,
  FetchOffsetsResult,
  GroupError,
  InitProducerIdInput,
  InitProducerIdResult,
} from './types';

/**
 * The metadata service's calls for the rest of the Kafka log: producer ids, delete records,
 * consumer groups (coordination and offsets), the file lifecycle's listing and report, and
 * the views over them. Writes go through the cluster's journal like every other write;
 * group coordination goes to the leader's coordinator.
 */
export interface LogServiceDeps {
  sequencerFor(cluster: ClusterRef): Sequencer;
  write<K extends WriteRequest['kind']>(req: Extract<WriteRequest, { kind: K }>): Promise<WriteAnswers[K]>;
  clock: { now(): number };
  log: LogRuntime;
}

export function logCalls(deps: LogServiceDeps) {
  const { sequencerFor, write } = deps;
  const read = <T>(cluster: ClusterRef, fn: (core: ClusterCore) => T) => sequencerFor(cluster).read(fn);
  const coordinator = async (cluster: ClusterRef) => {
    const s = sequencerFor(cluster);
    s.noteCluster(cluster);
    return (await s.leader()).groups;
  };

  return {
    /** Kafka InitProducerId. */
    async initProducerId(cluster: ClusterRef, input: InitProducerIdInput): Promise<InitProducerIdResult> {
      return write({ kind: 'initProducerId', cluster, input });
    },

    /** Kafka DeleteRecords: advances log start offsets. */
    async deleteRecords(cluster: ClusterRef, input: DeleteRecordsInput): Promise<DeleteRecordsResult> {
      return write({ kind: 'deleteRecords', cluster, input: validateDeleteRecords(input) });
    },

    /** Kafka OffsetCommit: under a member's generation, or standalone while the group has no members. */
    async commitOffsets(cluster: ClusterRef, group: string, input: CommitOffsetsInput): Promise<CommitOffsetsResult> {
      const name = validateGroupId(group);
      const valid = validateCommitOffsets(input);
      const membership = await coordinator(cluster);
      return write({ kind: 'commitOffsets', cluster, group: name, input: valid, membership });
    },

    /** Kafka OffsetFetch: the group's committed offsets (of the topics named, when named). */
    async fetchOffsets(cluster: ClusterRef, group: string, topics?: string[]): Promise<FetchOffsetsResult> {
      const name = validateGroupId(group);
      return read(cluster, (core) => fetchOffsets(core.state, name, topics));
    },

    /** Kafka DeleteGroups for one group: 404 when unknown, 409 while it has members. */
    async deleteGroup(cluster: ClusterRef, group: string): Promise<void> {
      const name = validateGroupId(group);
      const membership = await coordinator(cluster);
      await write({ kind: 'deleteGroup', cluster, group: name, membership });
    },

    async joinGroup(cluster: ClusterRef, group: string, input: unknown, signal?: AbortSignal): Promise<JoinResult> {
      const name = validateGroupId(group);
      const valid = validateJoin(input);
      return (await coordinator(cluster)).join(name, valid, signal);
    },

    async syncGroup(cluster: ClusterRef, group: string, input: unknown, signal?: AbortSignal): Promise<SyncResult> {
      const name = validateGroupId(group);
      const valid = validateSync(input);
      return (await coordinator(cluster)).sync(name, valid, signal);
    },

    async heartbeat(cluster: ClusterRef, group: string, input: unknown): Promise<{ error?: GroupError }> {
      const name = validateGroupId(group);
      const valid = validateHeartbeat(input);
      return (await coordinator(cluster)).heartbeat(name, valid);
    },

    async leaveGroup(cluster: ClusterRef, group: string, input: unknown): Promise<LeaveResult> {
      const name = validateGroupId(group);
      const valid = validateLeave(input);
      return (await coordinator(cluster)).leave(name, valid);
    },

    /** Customer view: groups with state and member counts, by name, paginated. */
    async listGroups(cluster: ClusterRef, opts: { limit: number; after?: string }): Promise<GroupList> {
      const groups = await coordinator(cluster);
      return read(cluster, (core) => listGroups(core.state, groups, opts));
    },

    /** Customer view: state, members, and per partition the committed offset and lag. */
    async describeGroup(cluster: ClusterRef, group: string): Promise<GroupDescription> {
      const name = validateGroupId(group);
      const groups = await coordinator(cluster);
      return read(cluster, (core) => describeGroup(core.state, groups, name));
    },

    /** Marked files past their grace period, in mark order, for the deletion jobs. */
    async listDueFiles(cluster: ClusterRef, opts: { limit?: number; after?: string | null } = {}): Promise<DueFilesPage> {
      return read(cluster, (core) => listDueFiles(core.state, deps.clock.now(), deps.log.fileDeleteGraceMs, opts));
    },

    /** An agent deleted these files' objects: their records go (idempotent). */
    async recordFilesDeleted(cluster: ClusterRef, fileIds: string[]): Promise<FilesDeletedResult> {
      return write({ kind: 'filesDeleted', cluster, fileIds });
    },

    /** Files by state (live, marked, due), as the leader last counted them; reads no leader. */
    async fileCounts(tenantId: string, clusterId: string): Promise<ClusterStats | undefined> {
      return deps.log.stats.read(clusterPk(tenantId, clusterId));
    },

    /** Files by state right now, from the leader. */
    async fileCountsNow(cluster: ClusterRef): Promise<FileCounts> {
      return read(cluster, (core) => fileCounts(core.state, deps.clock.now(), deps.log.fileDeleteGraceMs));
    },

    /** Runs a maintenance pass now (retention, expiry, trimming); tests and operators. */
    async runMaintenance(cluster: ClusterRef): Promise<void> {
      const s = sequencerFor(cluster);
      s.noteCluster(cluster);
      await (await s.leader()).runPass();
    },
  };
}
