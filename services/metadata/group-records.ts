import { InapplicableOpError } from './inapplicable';

/**
 * What the journal keeps of a consumer group: its committed offsets, and its last generation
 * (protocol, leader, members with their timeouts) and that generation's assignment. Live
 * membership (who is joining, heartbeat deadlines) lives in the leader's memory
 * (group-coordinator.ts); a new leader resumes the group from this record.
 *
 * Offsets are kept per topic in typed arrays indexed by partition (-1: none committed), so a
 * group's offsets cost about 20 bytes per partition; metadata strings only where given.
 */
export interface DurableMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** This generation's assignment (opaque bytes from the group's leader); null until synced. */
  assignment: Uint8Array | null;
}

export class TopicOffsets {
  offset: Float64Array;
  leaderEpoch: Int32Array;
  committedAt: Float64Array;
  metadata: Map<number, string> | undefined;
  /** Partitions with a committed offset. */
  count = 0;

  constructor(partitions: number) {
    this.offset = new Float64Array(partitions).fill(-1);
    this.leaderEpoch = new Int32Array(partitions).fill(-1);
    this.committedAt = new Float64Array(partitions);
  }

  get span(): number {
    return this.offset.length;
  }

  set(partition: number, offset: number, leaderEpoch: number, metadata: string, at: number): void {
    if (partition >= this.offset.length) this.grow(partition + 1);
    if (this.offset[partition] < 0) this.count++;
    this.offset[partition] = offset;
    this.leaderEpoch[partition] = leaderEpoch;
    this.committedAt[partition] = at;
    if (metadata !== '') (this.metadata ??= new Map()).set(partition, metadata);
    else this.metadata?.delete(partition);
  }

  private grow(n: number): void {
    const offset = new Float64Array(n).fill(-1);
    offset.set(this.offset);
    const leaderEpoch = new Int32Array(n).fill(-1);
    leaderEpoch.set(this.leaderEpoch);
    const committedAt = new Float64Array(n);
    committedAt.set(this.committedAt);
    this.offset = offset;
    this.leaderEpoch = leaderEpoch;
    this.committedAt = committedAt;
  }
}

export interface GroupRecord {
  readonly name: string;
  /** 0 until a generation completed (a group that only stores offsets stays at 0). */
  generation: number;
  /** '' for a group that only stores offsets. */
  protocolType: string;
  protocol: string;
  leader: string;
  members: DurableMember[];
  offsets: Map<string, TopicOffsets>;
  /** Last offset commit or generation change: how long an empty group has been idle. */
  updatedAt: number;
}

export function newGroup(name: string, at: number): GroupRecord {
  return { name, generation: 0, protocolType: '', protocol: '', leader: '', members: [], offsets: new Map(), updatedAt: at };
}

export interface OffsetEntry {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string;
}

export function applyCommitOffsets(groups: Map<string, GroupRecord>, group: string, offsets: OffsetEntry[], at: number): void {
  let g = groups.get(group);
  if (!g) groups.set(group, (g = newGroup(group, at)));
  for (const o of offsets) {
    let t = g.offsets.get(o.topic);
    if (!t) g.offsets.set(o.topic, (t = new TopicOffsets(o.partition + 1)));
    t.set(o.partition, o.offset, o.leaderEpoch, o.metadata, at);
  }
  g.updatedAt = at;
}

export function applyGroupJoined(
  groups: Map<string, GroupRecord>,
  op: { group: string; generation: number; protocolType: string; protocol: string; leader: string; members: DurableMember[]; at: number },
): void {
  let g = groups.get(op.group);
  if (!g) groups.set(op.group, (g = newGroup(op.group, op.at)));
  if (op.generation <= g.generation) throw new InapplicableOpError(`group ${op.group} is at generation ${g.generation}, not below ${op.generation}`);
  g.generation = op.generation;
  g.protocolType = op.protocolType;
  g.protocol = op.protocol;
  g.leader = op.leader;
  g.members = op.members.map((m) => ({ ...m, assignment: null }));
  g.updatedAt = op.at;
}

export function applyGroupAssigned(groups: Map<string, GroupRecord>, group: string, generation: number, assignments: { memberId: string; assignment: Uint8Array }[]): void {
  const g = groups.get(group);
  if (!g || g.generation !== generation) throw new InapplicableOpError(`group ${group} is not at generation ${generation}`);
  const byId = new Map(assignments.map((a) => [a.memberId, a.assignment]));
  for (const m of g.members) m.assignment = byId.get(m.memberId) ?? new Uint8Array(0);
}

export function applyDeleteGroup(groups: Map<string, GroupRecord>, group: string): void {
  if (!groups.delete(group)) throw new InapplicableOpError(`no group ${group}`);
}

/** A deleted topic's offsets leave every group. */
export function dropTopicOffsets(groups: Map<string, GroupRecord>, topic: string): void {
  for (const g of groups.values()) g.offsets.delete(topic);
}
