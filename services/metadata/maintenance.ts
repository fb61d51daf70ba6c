import type { GroupMembership } from './group-offsets';
import { retentionStart } from './log-start';
import type { Op } from './ops';
import type { PartitionRef } from './ops-log';
import type { ClusterState } from './state';
import type { ClusterRef } from './types';

/**
 * The leader's periodic upkeep, in small steps: retention (per-topic retention.ms and
 * retention.bytes advance log start offsets), expiry of idle producer windows and
 * transactional ids (the cluster's producerIdExpirationMs), and of consumer groups that have
 * had no members and no commits for the cluster's offsetsRetentionMs. A pass walks every
 * partition; each step looks at a bounded number of partitions and batches and becomes one
 * ordinary journal write, so commits queue behind at most one small step, never a pass.
 * The planner's position is leader memory; the operations record their exact effect.
 */
export interface MaintenanceLimits {
  partitionsPerStep: number;
  batchesPerStep: number;
  /** Producer windows, transactional ids and groups per step. */
  itemsPerStep: number;
}

export const DEFAULT_MAINTENANCE_LIMITS: MaintenanceLimits = { partitionsPerStep: 512, batchesPerStep: 20_000, itemsPerStep: 2_000 };

export interface StepOutcome {
  ops: Op[];
  /** True when this step finished the pass. */
  done: boolean;
  /** What the step changed, for logs and tests. */
  counts: { partitions: number; batches: number; producers: number; transactionalIds: number; groups: number };
}

export class MaintenancePass {
  private refs: PartitionRef[] | null = null;
  private next = 0;

  constructor(private readonly limits: MaintenanceLimits = DEFAULT_MAINTENANCE_LIMITS) {}

  /** Plans the next step against the state as it is now. */
  step(state: ClusterState, membership: GroupMembership, cluster: ClusterRef, now: number): StepOutcome {
    const counts = { partitions: 0, batches: 0, producers: 0, transactionalIds: 0, groups: 0 };
    const ops: Op[] = [];
    const refs = (this.refs ??= partitionRefs(state));
    const starts: (PartitionRef & { offset: number })[] = [];
    const windows: (PartitionRef & { producerId: number })[] = [];
    const producerCutoff = now - cluster.producerIdExpirationMs;
    let scanned = 0;
    while (this.next < refs.length && scanned < this.limits.partitionsPerStep && counts.batches < this.limits.batchesPerStep && windows.length < this.limits.itemsPerStep) {
      const ref = refs[this.next++];
      scanned++;
      const topic = state.topics.get(ref.topic);
      const log = topic?.partitions[ref.partition];
      if (!topic || !log) continue;
      const start = retentionStart(state, log, topic.config['retention.ms'], topic.config['retention.bytes'], now, this.limits.batchesPerStep - counts.batches);
      if (start) {
        starts.push({ ...ref, offset: start.offset });
        counts.batches += start.batches;
      }
      if (log.producers) {
        for (const [producerId, w] of log.producers) if (w.lastAt <= producerCutoff) windows.push({ ...ref, producerId });
      }
    }
    counts.partitions = starts.length;
    counts.producers = windows.length;
    if (starts.length > 0) ops.push({ type: 'advanceLogStart', at: now, partitions: starts });
    if (this.next < refs.length) {
      if (windows.length > 0) ops.push({ type: 'expireProducers', windows, transactionalIds: [] });
      return { ops, done: false, counts };
    }
    // After the partitions: transactional ids and groups, a bounded number per step.
    const budget = Math.max(0, this.limits.itemsPerStep - windows.length);
    const transactionalIds: string[] = [];
    for (const [id, t] of state.producers.transactional) {
      if (transactionalIds.length >= budget) break;
      if (t.lastAt <= producerCutoff) transactionalIds.push(id);
    }
    if (windows.length > 0 || transactionalIds.length > 0) ops.push({ type: 'expireProducers', windows, transactionalIds });
    const groups: string[] = [];
    const groupCutoff = now - cluster.offsetsRetentionMs;
    for (const [name, g] of state.groups) {
      if (groups.length >= budget) break;
      if (g.updatedAt <= groupCutoff && g.members.length === 0 && !membership.hasMembers(name)) groups.push(name);
    }
    if (groups.length > 0) ops.push({ type: 'deleteGroups', groups });
    counts.transactionalIds = transactionalIds.length;
    counts.groups = groups.length;
    const done = transactionalIds.length < budget && groups.length < budget;
    if (done) {
      this.refs = null;
      this.next = 0;
    }
    return { ops, done, counts };
  }
}

function partitionRefs(state: ClusterState): PartitionRef[] {
  const refs: PartitionRef[] = [];
  for (const t of state.topics.values()) for (let p = 0; p < t.partitions.length; p++) refs.push({ topic: t.name, partition: p });
  return refs;
}
