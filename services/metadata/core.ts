import { unprocessable } from '../../shared/errors';
import { applyOp } from './apply';
import { decodeEntry, encodeOps } from './ops';
import { planCommitFile, planCreateTopic, planDeleteTopic, planUpdateTopic, type Plan } from './plan';
import * as reads from './reads';
import { planReplicaMissing, replicationSummary, underReplicatedFiles, type ReplicaMissingInput, type ReplicaMissingResult, type ReplicationSummary } from './replication';
import { ClusterState } from './state';
import type {
  ClusterRef,
  CommitFileResult,
  FetchPlanInput,
  FetchPlanResult,
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
  | { kind: 'replicaMissing'; cluster: ClusterRef; fileId: string; input: ReplicaMissingInput };

export interface WriteAnswers {
  createTopic: TopicDescription;
  updateTopic: TopicDescription;
  deleteTopic: TopicSummary;
  commitFile: CommitFileResult;
  replicaMissing: ReplicaMissingResult;
}

export interface Executed {
  /** The request's encoded operations; null when it changed nothing and needs no append. */
  bytes: Uint8Array | null;
  answer: unknown;
}

export class ClusterCore {
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
    switch (req.kind) {
      case 'createTopic':
        return planCreateTopic(this.state, req.cluster, req.input, now);
      case 'updateTopic':
        return planUpdateTopic(this.state, req.cluster, req.name, req.input);
      case 'deleteTopic':
        return planDeleteTopic(this.state, req.name, now);
      case 'commitFile':
        return planCommitFile(this.state, req.cluster, req.commit, now);
      case 'replicaMissing':
        return planReplicaMissing(this.state, req.cluster, req.fileId, req.input, now);
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
