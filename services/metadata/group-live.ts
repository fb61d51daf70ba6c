import { unavailable, type AppError } from '../../shared/errors';
import type { DurableMember, GroupRecord } from './group-records';
import type { JoinInput, JoinResult, SyncResult } from './group-protocol';
import type { GroupError } from './types';

/**
 * A consumer group as its coordinator holds it in the leader's memory: phase, members with
 * their protocols and session deadlines, the requests waiting on a rebalance. What of it is
 * durable (generation, members, assignment) is in the group's record (group-records.ts).
 */
export type GroupPhase = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

/** A long-polling request parked until the rebalance answers it or the wait cap passes. */
export interface Waiter<T> {
  resolve(answer: T): void;
  reject(reason: AppError): void;
  /** When to answer "still waiting" (the server's cap on one request). */
  capAt: number;
  release(): void;
}

export interface Member {
  id: string;
  instanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  /** Empty for a member restored from the journal (its metadata is not journaled). */
  protocols: { name: string; metadata: Uint8Array }[];
  /** Session expiry, unless the member has joined the rebalance in progress. */
  deadline: number;
  /** Rejoined during the rebalance in progress. */
  joined: boolean;
  join: Waiter<JoinResult> | null;
  sync: Waiter<SyncResult> | null;
  assignment: Uint8Array | null;
}

export interface LiveGroup {
  name: string;
  phase: GroupPhase;
  generation: number;
  protocolType: string | null;
  protocol: string | null;
  leader: string | null;
  members: Map<string, Member>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, until they join (or their session passes). */
  pending: Map<string, number>;
  /** A rebalance completes no earlier than `earliest` (initial delay) and no later than `deadline`. */
  earliest: number;
  deadline: number;
  /** The current generation's completed join is in the journal: join answers may reveal it. */
  joinedDurable: boolean;
  /** The leader's assignment is being journaled. */
  assigning: boolean;
}

export function emptyGroup(name: string, record: GroupRecord | undefined): LiveGroup {
  return {
    name,
    phase: 'Empty',
    generation: record?.generation ?? 0,
    protocolType: record?.protocolType || null,
    protocol: null,
    leader: null,
    members: new Map(),
    pending: new Map(),
    earliest: 0,
    deadline: 0,
    joinedDurable: true,
    assigning: false,
  };
}

/** A group the journal says has members: they get a fresh session to heartbeat or rejoin. */
export function restoredGroup(record: GroupRecord, now: number): LiveGroup {
  const g = emptyGroup(record.name, record);
  const synced = record.members.every((m) => m.assignment !== null);
  g.phase = synced ? 'Stable' : 'CompletingRebalance';
  g.protocolType = record.protocolType;
  g.protocol = record.protocol;
  g.leader = record.leader;
  for (const d of record.members) {
    g.members.set(d.memberId, {
      id: d.memberId,
      instanceId: d.groupInstanceId,
      clientId: d.clientId,
      clientHost: d.clientHost,
      sessionTimeoutMs: d.sessionTimeoutMs,
      rebalanceTimeoutMs: d.rebalanceTimeoutMs,
      protocolType: record.protocolType,
      protocols: [],
      deadline: now + d.sessionTimeoutMs,
      joined: false,
      join: null,
      sync: null,
      assignment: d.assignment,
    });
  }
  return g;
}

export function newMember(id: string, input: JoinInput, now: number): Member {
  return {
    id,
    instanceId: input.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    protocolType: input.protocolType,
    protocols: input.protocols,
    deadline: now + input.sessionTimeoutMs,
    joined: false,
    join: null,
    sync: null,
    assignment: null,
  };
}

export function sameMetadata(m: Member, input: JoinInput): boolean {
  if (m.protocolType !== input.protocolType || m.protocols.length !== input.protocols.length) return false;
  return m.protocols.every((p, i) => p.name === input.protocols[i].name && Buffer.compare(p.metadata, input.protocols[i].metadata) === 0);
}

/** Protocols every member supports (all the joiner's when the group has none). */
export function supportsProtocols(g: LiveGroup, protocolType: string, names: string[]): boolean {
  if (g.members.size === 0) return true;
  if (g.protocolType !== null && g.protocolType !== protocolType) return false;
  return names.some((n) => [...g.members.values()].every((m) => m.protocols.length === 0 || m.protocols.some((p) => p.name === n)));
}

/** Kafka's vote: each member votes for its most preferred protocol that all support. */
export function selectProtocol(g: LiveGroup): string {
  const members = [...g.members.values()].filter((m) => m.protocols.length > 0);
  const candidates = members[0].protocols.map((p) => p.name).filter((n) => members.every((m) => m.protocols.some((p) => p.name === n)));
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const choice = m.protocols.find((p) => votes.has(p.name))!;
    votes.set(choice.name, votes.get(choice.name)! + 1);
  }
  let best = candidates[0];
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}

export function joinAnswer(g: LiveGroup, m: Member): JoinResult {
  const isLeader = g.leader === m.id;
  return {
    generationId: g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocol,
    leader: g.leader ?? '',
    memberId: m.id,
    members: isLeader
      ? [...g.members.values()].map((x) => ({
          memberId: x.id,
          groupInstanceId: x.instanceId,
          metadata: Buffer.from(x.protocols.find((p) => p.name === g.protocol)?.metadata ?? new Uint8Array(0)).toString('base64'),
        }))
      : [],
  };
}

export function syncAnswer(g: LiveGroup, m: Member): SyncResult {
  return { protocolType: g.protocolType, protocolName: g.protocol, assignment: Buffer.from(m.assignment ?? new Uint8Array(0)).toString('base64') };
}

export function durableMembers(g: LiveGroup): DurableMember[] {
  return [...g.members.values()].map((m) => ({
    memberId: m.id,
    groupInstanceId: m.instanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    sessionTimeoutMs: m.sessionTimeoutMs,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    assignment: null,
  }));
}

/** Waiting requests one node holds at once, over all its clusters. */
export class WaitBudget {
  count = 0;
  constructor(readonly max: number) {}

  take(): void {
    if (this.count >= this.max) {
      throw unavailable('too_many_waiting_requests', `This node holds ${this.max} waiting group requests already; retry shortly.`, { retryAfterSeconds: 1 });
    }
    this.count++;
  }
}

/** Detaches the member's waiter of that kind (releasing its budget) and returns it. */
export function settle<K extends 'join' | 'sync'>(m: Member, kind: K, release = true): Waiter<K extends 'join' ? JoinResult : SyncResult> {
  const w = m[kind]!;
  m[kind] = null;
  if (release) w.release();
  return w as Waiter<K extends 'join' ? JoinResult : SyncResult>;
}

export function finish<T>(w: Waiter<T>, answer: T): void {
  w.release();
  w.resolve(answer);
}

export function fail<T>(w: Waiter<T>, reason: AppError): void {
  w.release();
  w.reject(reason);
}

export const joinError = (error: GroupError, memberId: string): JoinResult => ({ error, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
export const syncError = (error: GroupError): SyncResult => ({ error, protocolType: null, protocolName: null, assignment: '' });
