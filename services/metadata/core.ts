import { unprocessable } from '../../shared/errors';
import { applyOp } from './apply';
import { planFilesDeleted, type FilesDeletedResult } from './file-lifecycle';
import { planCommitOffsets, planDeleteGroup, recordedMembership, type GroupMembership, type ValidOffsetCommit } from './group-offsets';
import { planDeleteRecords } from './log-start';
import type { MaintenancePass, StepOutcome } from './maintenance';
import { decodeEntry, encodeOps, type Op } from './ops';
import { planCommitFile, planCreateTopic, planDeleteTopic, planUpdateTopic, type Plan } from './plan';
import { newProducerIdCursor, planInitProducerId, validateInitProducerId } from './producer-ids';
import * as reads from './reads';
import { planCompactionResult, type CompactionAnswer, type CompactionResultInput } from './compaction';
import { planReplicaMissing, planReplicaRestored, type ReplicaRestoredInput, type ReplicaRestoredResult, replicationSummary, underReplicatedFiles, type ReplicaMissingInput, type ReplicaMissingResult, type ReplicationSummary } from './replication';
import { ClusterState } from './state';
import type {
  ClusterRef,
  CommitFileResult,
  CommitOffsetsResult,
  DeleteRecordsInput,
  DeleteRecordsResult,
  FetchPlanInput,
  FetchPlanResult,
  InitProducerIdResult,
  ListOffsetsInput,
  ListOffsetsResult,
  TopicDescription,
  TopicSummary,
} from './types';
import type { ValidCommit } from './validate-commit';

/**
 * One cluster's metadata without any storage: plans a write, applies its operations and
 * answers; replays journal entries; serves reads. The sequencer wraps it with the journal,
 * and tests drive it directly against a reference model.
 */
export type WriteRequest =
  | { kind: 'createTopic'; cluster: ClusterRef; input: unknown }
  | { kind: 'updateTopic'; cluster: ClusterRef; name: string; input: unknown }
  | { kind: 'deleteTopic'; cluster: ClusterRef; name: string }
  | { kind: 'commitFile'; cluster: ClusterRef; commit: ValidCommit }
  | { kind: 'replicaMissing'; cluster: ClusterRef; fileId: string; input: ReplicaMissingInput }
  | { kind: 'replicaRestored'; cluster: ClusterRef; input: ReplicaRestoredInput }
  | { kind: 'compactionResult'; cluster: ClusterRef; result: CompactionResultInput }
  | { kind: 'initProducerId'; cluster: ClusterRef; input: unknown }
  | { kind: 'deleteRecords'; cluster: ClusterRef; input: DeleteRecordsInput }
  | { kind: 'commitOffsets'; cluster: ClusterRef; group: string; input: ValidOffsetCommit; membership?: GroupMembership }
  | { kind: 'deleteGroup'; cluster: ClusterRef; group: string; membership?: GroupMembership }
  | { kind: 'filesDeleted'; cluster: ClusterRef; fileIds: unknown }
  | { kind: 'maintenance'; cluster: ClusterRef; pass: MaintenancePass; membership?: GroupMembership }
  /** Operations the group coordinator formed (a completed join, an assignment). */
  | { kind: 'groupJournal'; cluster: ClusterRef; ops: Op[] };

/**
 * Requests that only make sense on the leader that formed them (its coordinator's view, its
 * maintenance position): when it stops they fail, rather than move to its successor.
 */
export const isLeaderBound = (req: WriteRequest): boolean =>
  req.kind === 'groupJournal' || req.kind === 'maintenance' || ((req.kind === 'commitOffsets' || req.kind === 'deleteGroup') && req.membership !== undefined);

export interface WriteAnswers {
  createTopic: TopicDescription;
  updateTopic: TopicDescription;
  deleteTopic: TopicSummary;
  commitFile: CommitFileResult;
  replicaMissing: ReplicaMissingResult;
  replicaRestored: ReplicaRestoredResult;
  compactionResult: CompactionAnswer;
  initProducerId: InitProducerIdResult;
  deleteRecords: DeleteRecordsResult;
  commitOffsets: CommitOffsetsResult;
  deleteGroup: { group: string };
  filesDeleted: FilesDeletedResult;
  maintenance: StepOutcome;
  groupJournal: undefined;
}

export interface Executed {
  /** The request's encoded operations; null when it changed nothing and needs no append. */
  bytes: Uint8Array | null;
  answer: unknown;
}

export class ClusterCore {
  /** Leader memory: the producer id block this leader reserved (never carried over). */
  private readonly producerIds = newProducerIdCursor();

  constructor(
    public state: ClusterState = new ClusterState(),
    /** Largest encoded size of one request's operations (they must fit in one journal entry). */
    private readonly maxRequestBytes = 360_000,
  ) {}

  /** Plans, encodes and applies one write. Throws an AppError, having changed nothing, on refusal. */
  execute(req: WriteRequest, now: number): Executed {
    const plan = this.plan(req, now);
    if (plan.ops.length === 0) return { bytes: null, answer: plan.answer() };
    const bytes = encodeOps(plan.ops);
    if (bytes.length > this.maxRequestBytes) {
      throw unprocessable('commit_too_large', `The request encodes to ${bytes.length} bytes; at most ${this.maxRequestBytes} fit in one journal entry.`);
    }
    for (const op of plan.ops) applyOp(this.state, op);
    return { bytes, answer: plan.answer() };
  }

  private plan(req: WriteRequest, now: number): Plan<unknown> {
    const state = this.state;
    switch (req.kind) {
      case 'createTopic':
        return planCreateTopic(state, req.cluster, req.input, now);
      case 'updateTopic':
        return planUpdateTopic(state, req.cluster, req.name, req.input);
      case 'deleteTopic':
        return planDeleteTopic(state, req.name, now);
      case 'commitFile':
        return planCommitFile(state, req.cluster, req.commit, now);
      case 'replicaMissing':
        return planReplicaMissing(state, req.cluster, req.fileId, req.input, now);
      case 'replicaRestored':
        return planReplicaRestored(state, req.input, now);
      case 'compactionResult':
        return planCompactionResult(state, req.result, now);
      case 'initProducerId': {
        const { ops, result } = planInitProducerId(state.producers, this.producerIds, validateInitProducerId(req.input), now);
        return { ops, answer: () => result };
      }
      case 'deleteRecords':
        return planDeleteRecords(state, req.input, now);
      case 'commitOffsets':
        return planCommitOffsets(state, req.membership ?? recordedMembership(state), req.group, req.input, now);
      case 'deleteGroup':
        return planDeleteGroup(state, req.membership ?? recordedMembership(state), req.group);
      case 'filesDeleted':
        return planFilesDeleted(state, req.fileIds);
      case 'maintenance': {
        const membership = req.membership ?? recordedMembership(state);
        const step = req.pass.step(state, membership, req.cluster, now);
        return {
          ops: step.ops,
          answer: () => {
            for (const op of step.ops) if (op.type === 'deleteGroups') for (const g of op.groups) membership.forget(g);
            return step;
          },
        };
      }
      case 'groupJournal':
        return { ops: req.ops, answer: () => undefined };
    }
  }

  /** Applies a journal entry written by this or an earlier leader. */
  replay(entry: Uint8Array): void {
    for (const op of decodeEntry(entry)) applyOp(this.state, op);
  }

  listTopics(): TopicSummary[] {
    return reads.listTopics(this.state);
  }

  describeTopic(name: string): TopicDescription {
    return reads.describeTopic(this.state, name);
  }

  fetchPlan(input: FetchPlanInput): FetchPlanResult {
    return reads.fetchPlan(this.state, input);
  }

  listOffsets(input: ListOffsetsInput): ListOffsetsResult {
    return reads.listOffsets(this.state, input);
  }

  replication(): ReplicationSummary {
    return replicationSummary(this.state);
  }

  underReplicated(limit: number) {
    return underReplicatedFiles(this.state, limit);
  }
}
